// Go text/template for podman-style --format strings: compile once, execute per row.
//
//   const t = compileTemplate('{{.Name | upper}} {{join .Names ","}}');
//   t.execute({ Name: 'x', Names: ['a', 'b'] });   // "X a,b"
//
// Data model (see govalue.ts): undefined = missing value (`<no value>`), null = nil,
// arrays = slices (`[a b]`), plain objects and Maps = maps (`map[k:v]`, missing keys give
// `<no value>`), objects passed through asStruct() = structs (missing fields are errors).
// Field lookup tries the exact key first, then a case-insensitive match (`.ID` finds `Id`).
// Functions: Go's builtins plus podman's join, json, lower, upper, title, split, pad, truncate.
import { executeTree, ExecEnv } from './template/exec';
import { BUILTINS, FuncDef, PODMAN_FUNCS, TemplateFunc, toFuncDef } from './template/funcs';
import { ListNode } from './template/nodes';
import { parseTemplate } from './template/parse';

export { TemplateError } from './template/errors';
export { asStruct } from './govalue';
export type { FuncDef, ParamType, TemplateFunc } from './template/funcs';

export interface TemplateOptions {
  /** Template name used in error messages (`template: NAME:1: ...`); default "format". */
  name?: string;
  /** Extra functions, or replacements for the defaults. */
  funcs?: Record<string, TemplateFunc>;
}

export class Template {
  private readonly env: ExecEnv;

  /** @internal use compileTemplate() */
  constructor(readonly name: string, readonly source: string, private readonly root: ListNode, env: ExecEnv) {
    this.env = env;
  }

  /** Runs the template against `data` (the initial dot and `$`). Throws TemplateError. */
  execute(data: unknown): string {
    return executeTree(this.env, this.root, data);
  }

  /**
   * Runs the template in header mode: every field chain (`.Foo.Bar`, `$x.Bar`) yields
   * header(lastFieldName), `index`/`slice` yield their first argument, and ranging over
   * a string visits it once. Used to render table headings from the row template.
   */
  executeHeader(header: (field: string) => string, data: unknown = {}): string {
    return executeTree({ ...this.env, headerFor: header }, this.root, data);
  }
}

/** Parses a Go template; throws TemplateError with Go's message on syntax errors. */
export function compileTemplate(src: string, opts: TemplateOptions = {}): Template {
  const name = opts.name ?? 'format';
  const funcs = new Map<string, FuncDef>();
  for (const [k, v] of Object.entries(BUILTINS)) funcs.set(k, v);
  for (const [k, v] of Object.entries(PODMAN_FUNCS)) funcs.set(k, v);
  const builtins = new Set(Object.keys(BUILTINS));
  for (const [k, v] of Object.entries(opts.funcs ?? {})) {
    funcs.set(k, toFuncDef(v));
    builtins.delete(k);
  }
  const parsed = parseTemplate(name, src, (n) => funcs.has(n));
  const env: ExecEnv = { name, src, defs: parsed.defs, funcs, builtins };
  return new Template(name, src, parsed.root, env);
}
