// podman's --format handling for list and inspect commands:
//   (none) / "table"      -> the command's default table
//   "json" / "{{json .}}" -> a JSON array
//   "table ..."           -> heading row + one row per item, aligned like Go's tabwriter
//   anything else         -> the Go template applied to each item, one per line
// In formats, the two-character sequences \t and \n stand for a tab and a newline; in
// "table" formats spaces become column separators too (as podman does). Execution errors
// are TemplateErrors whose partialOutput holds what podman would have printed before them.
import { compileTemplate, Template, TemplateError, TemplateFunc, TemplateOptions } from './gotemplate';
import { goJSON } from './gojson';
import { asStruct } from './govalue';
import { tabwriteText } from './tabwriter';

/** True for podman's JSON formats: `json`, `{{json .}}`, `{{ json . }}`, `{{json}}`. */
export function isJSONFormat(format: string | undefined): boolean {
  return !!format && /^\s*(json|\{\{\s*json\s*(\.)?\s*\}\})\s*$/.test(format);
}

/** True for a format that asks for a table (`table` or `table ...`). */
export function isTableFormat(format: string | undefined): boolean {
  return !!format && (format === 'table' || format.startsWith('table '));
}

const TABLE_REPLACE: Record<string, string> = { 'table ': '', '\\t': '\t', ' ': '\t', '\\n': '\n' };
const ESCAPE_REPLACE: Record<string, string> = { '\\t': '\t', '\\n': '\n' };

/**
 * podman's NormalizeFormat: for "table ..." drop the keyword and turn spaces into tabs;
 * always turn the \t and \n escapes into characters and end the format with a newline.
 */
export function normalizeFormat(format: string): string {
  let f = format.startsWith('table ')
    ? format.replace(/table |\\t| |\\n/g, (m) => TABLE_REPLACE[m])
    : format.replace(/\\t|\\n/g, (m) => ESCAPE_REPLACE[m]);
  if (!f.endsWith('\n')) f += '\n';
  return f;
}

/**
 * podman's EnforceRange: the per-item format runs inside `{{range .}}...{{end -}}` over the
 * whole list (unless it already ranges over it), so `$` is the list and error columns match podman's.
 */
export function enforceRange(format: string): string {
  if (/^\s*\{\{\s*range\s*\.\s*\}\}[\s\S]*\{\{\s*end\s*-?\s*\}\}\s*$/.test(format)) return format;
  return `{{range .}}${format}{{end -}}`;
}

/**
 * Compiles a user format the way podman does: normalized and wrapped in a range; if that
 * does not parse (e.g. a "\n" escape inside a quoted string became a raw newline), the
 * format is used as written, only wrapped in the range. Throws the second TemplateError.
 */
export function compileFormat(format: string, opts: TemplateOptions = {}): Template {
  try {
    return compileTemplate(enforceRange(normalizeFormat(format)), opts);
  } catch (e) {
    if (!(e instanceof TemplateError)) throw e;
    return compileTemplate(enforceRange(format), opts);
  }
}

/** Headers podman's commands use for fields whose name alone would give another heading. */
const DEFAULT_HEADERS: Record<string, string> = {
  CreatedSince: 'CREATED',
  CreatedHuman: 'CREATED',
  CreatedAt: 'CREATED AT',
};

/** fatih/camelcase Split as podman uses it: "ImageID" -> ["Image", "ID"], "CPUPerc" -> ["CPU", "Perc"]. */
export function splitCamelCase(s: string): string[] {
  const cls = (c: string) => (/\p{Ll}/u.test(c) ? 1 : /\p{Lu}/u.test(c) ? 2 : /\p{Nd}/u.test(c) ? 3 : 4);
  const runs: string[][] = [];
  let last = 0;
  for (const ch of s) {
    const c = cls(ch);
    if (c === last) runs[runs.length - 1].push(ch);
    else runs.push([ch]);
    last = c;
  }
  for (let i = 0; i < runs.length - 1; i++) {
    if (cls(runs[i][0]) === 2 && cls(runs[i + 1][0]) === 1) {
      runs[i + 1].unshift(runs[i].pop()!);
    }
  }
  return runs.filter((r) => r.length > 0).map((r) => r.join(''));
}

/** The column heading for a field: an override, else its camel-case words upper-cased. */
export function headerFor(field: string, overrides: Record<string, string> = {}): string {
  if (field in overrides) return overrides[field].toUpperCase();
  const lower = field.toLowerCase();
  for (const [k, v] of Object.entries(overrides)) if (k.toLowerCase() === lower) return v.toUpperCase();
  if (field in DEFAULT_HEADERS) return DEFAULT_HEADERS[field];
  return splitCamelCase(field).join(' ').toUpperCase();
}

export interface ListFormatOptions {
  /** --noheading: omit the heading row of table output. */
  noHeading?: boolean;
  /** Column headings by field name (`{ ID: 'IMAGE ID' }`); others derive from the name. */
  headers?: Record<string, string>;
  /** Indent of the JSON output (default 4 spaces, as `podman images --format json`). */
  jsonIndent?: string;
  /** Escape <, >, & in JSON output as json.Marshal does (default true). */
  escapeHTML?: boolean;
  /** Go struct type name for the rows: unknown fields then fail as in podman. */
  structType?: string;
  /** Template name used in error messages (default "format"). */
  name?: string;
  /** Print `headers` as given instead of upper-cased (podman's `system connection ls`). */
  headersAsIs?: boolean;
  /** Extra template functions. */
  funcs?: Record<string, TemplateFunc>;
}

/** Renders rows for a list command (`images`, `ps`, `volume ls`, ...) following --format. */
export function formatList(rows: object[], format: string | undefined, defaultTable: string, opts: ListFormatOptions = {}): string {
  let f = format ?? '';
  if (f.trim() === '' || f.trim() === 'table') f = defaultTable;
  if (isJSONFormat(f)) {
    return goJSON(rows, { indent: opts.jsonIndent ?? '    ', escapeHTML: opts.escapeHTML ?? true });
  }
  const items = opts.structType ? rows.map((r) => asStruct(r, opts.structType)) : rows;
  const table = isTableFormat(f);
  const tmpl = compileFormat(f, { name: opts.name ?? 'format', funcs: opts.funcs });
  let out = '';
  try {
    const header = (field: string) => (opts.headersAsIs && opts.headers?.[field] ? opts.headers[field] : headerFor(field, opts.headers));
    if (table && !opts.noHeading) out += tmpl.executeHeader(header, [{}]);
    out += tmpl.execute(items);
  } catch (e) {
    if (e instanceof TemplateError) {
      const partial = out + (e.partialOutput ?? '');
      e.partialOutput = table ? tabwriteText(partial) : partial;
    }
    throw e;
  }
  return table ? tabwriteText(out) : out;
}

export interface InspectFormatOptions {
  /** Indent of the JSON output (default 5 spaces, as podman 4.3's inspect commands print). */
  indent?: string;
  /** Escape <, >, & in JSON output (default false, as podman's inspect). */
  escapeHTML?: boolean;
  /** Template name used in error messages (default "inspect"). */
  name?: string;
  funcs?: Record<string, TemplateFunc>;
}

/** Renders objects for an inspect command: a JSON array, or the template once per object. */
export function formatInspect(objs: object[], format?: string, opts: InspectFormatOptions = {}): string {
  if (!format || isJSONFormat(format)) {
    return goJSON(objs, { indent: opts.indent ?? '     ', escapeHTML: opts.escapeHTML ?? false });
  }
  return compileFormat(format, { name: opts.name ?? 'inspect', funcs: opts.funcs }).execute(objs);
}
