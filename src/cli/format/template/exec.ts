// Executes a parsed Go template against JavaScript data with Go's semantics
// (dot, variables, pipelines, if/with/range/else, break/continue, nested templates)
// and Go's execution error messages.
import { formatValue } from '../gofmt';
import { goTypeName, isTrue, kindOf, lookupKey, sliceItems, sortedEntries } from '../govalue';
import { TemplateError } from './errors';
import { FuncDef, ParamType } from './funcs';
import {
  ArgNode, BranchNode, ChainNode, CommandNode, FieldNode, IdentifierNode, ListNode, Node,
  PipeNode, TemplateNode, VariableNode, nodeString,
} from './nodes';

/** Marks "no final value" in a pipeline (distinct from undefined, Go's invalid value). */
const MISSING: unique symbol = Symbol('missing');
type Val = unknown;
type Final = Val | typeof MISSING;

const BREAK = Symbol('break');
const CONTINUE = Symbol('continue');
const MAX_DEPTH = 1000;

export interface ExecEnv {
  /** Name of the main template (for messages). */
  name: string;
  /** The full source text (to compute line:column in messages). */
  src: string;
  defs: Map<string, ListNode>;
  funcs: Map<string, FuncDef>;
  builtins: Set<string>;
  /** Header mode: every field chain evaluates to this function's text for its last field. */
  headerFor?: (field: string) => string;
}

interface Variable { name: string; value: Val }

/** Runs a tree; on error the TemplateError carries the output written so far (partialOutput). */
export function executeTree(env: ExecEnv, root: ListNode, data: Val): string {
  const s = new State(env, env.name, [{ name: '$', value: data }], 0);
  try {
    s.walk(data, root);
  } catch (e) {
    if (e instanceof TemplateError) e.partialOutput = s.out;
    throw e;
  }
  return s.out;
}

class State {
  out = '';
  private node: Node | undefined;

  constructor(private env: ExecEnv, private tmplName: string, private vars: Variable[], private depth: number) {}

  private at(n: Node) { this.node = n; }

  private errorf(msg: string): never {
    let name = this.tmplName;
    const n = this.node;
    if (n) {
      const before = this.env.src.slice(0, n.pos);
      const nl = before.lastIndexOf('\n');
      const col = nl < 0 ? n.pos : n.pos - (nl + 1);
      const line = 1 + (before.match(/\n/g)?.length ?? 0);
      name = `${this.env.name}:${line}:${col}: executing ${JSON.stringify(this.tmplName)} at <${nodeString(n)}>`;
    }
    throw new TemplateError(`template: ${name}: ${msg}`);
  }

  // --- variables

  private mark() { return this.vars.length; }
  private pop(m: number) { this.vars.length = m; }
  private push(name: string, value: Val) { this.vars.push({ name, value }); }
  private setVar(name: string, value: Val) {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      if (this.vars[i].name === name) { this.vars[i].value = value; return; }
    }
    this.errorf(`undefined variable: ${name}`);
  }
  private setTopVar(n: number, value: Val) { this.vars[this.vars.length - n].value = value; }
  private varValue(name: string): Val {
    for (let i = this.vars.length - 1; i >= 0; i--) if (this.vars[i].name === name) return this.vars[i].value;
    this.errorf(`undefined variable: ${name}`);
  }

  // --- statements

  walk(dot: Val, node: Node): void {
    this.at(node);
    switch (node.type) {
      case 'action': {
        const val = this.evalPipeline(dot, node.pipe);
        if (node.pipe.decl.length === 0) this.printValue(node, val);
        return;
      }
      case 'break': throw BREAK;
      case 'continue': throw CONTINUE;
      case 'comment': return;
      case 'if': case 'with': return this.walkIfOrWith(dot, node);
      case 'list': for (const n of node.nodes) this.walk(dot, n); return;
      case 'range': return this.walkRange(dot, node);
      case 'template': return this.walkTemplate(dot, node);
      case 'text': this.out += node.text; return;
      default: this.errorf(`unknown node: ${nodeString(node)}`);
    }
  }

  private printValue(n: Node, v: Val) {
    this.at(n);
    if (typeof v === 'function') this.errorf(`can't print ${nodeString(n)} of type ${goTypeName(v)}`);
    this.out += formatValue(v);
  }

  private walkIfOrWith(dot: Val, node: BranchNode) {
    const m = this.mark();
    try {
      const val = this.evalPipeline(dot, node.pipe);
      if (isTrue(val)) this.walk(node.type === 'with' ? val : dot, node.list);
      else if (node.elseList) this.walk(dot, node.elseList);
    } finally {
      this.pop(m);
    }
  }

  private walkRange(dot: Val, r: BranchNode) {
    this.at(r);
    const outer = this.mark();
    try {
      const val = this.evalPipeline(dot, r.pipe);
      const mark = this.mark();
      const decl = r.pipe.decl;
      const one = (index: Val, elem: Val): boolean => {
        if (decl.length > 0) {
          if (r.pipe.isAssign) this.setVar(decl[0].ident[0], decl.length > 1 ? index : elem);
          else this.setTopVar(1, elem);
        }
        if (decl.length > 1) {
          if (r.pipe.isAssign) this.setVar(decl[1].ident[0], elem);
          else this.setTopVar(2, index);
        }
        try {
          this.walk(elem, r.list);
        } catch (e) {
          if (e === BREAK) return false;
          if (e !== CONTINUE) throw e;
        } finally {
          this.pop(mark);
        }
        return true;
      };
      const k = kindOf(val);
      if (k === 'slice') {
        const items = sliceItems(val);
        if (items.length > 0) {
          for (let i = 0; i < items.length; i++) if (!one(i, items[i])) break;
          return;
        }
      } else if (k === 'map') {
        const entries = sortedEntries(val);
        if (entries.length > 0) {
          for (const [key, v] of entries) if (!one(key, v)) break;
          return;
        }
      } else if (k === 'string' && this.env.headerFor) {
        one(0, val);
        return;
      } else if (k !== 'invalid' && k !== 'nil') {
        this.errorf(`range can't iterate over ${formatValue(val)}`);
      }
      if (r.elseList) this.walk(dot, r.elseList);
    } finally {
      this.pop(outer);
    }
  }

  private walkTemplate(dot: Val, t: TemplateNode) {
    this.at(t);
    const tree = this.env.defs.get(t.name);
    if (!tree) this.errorf(`template ${JSON.stringify(t.name)} not defined`);
    if (this.depth >= MAX_DEPTH) this.errorf(`exceeded maximum template depth (${MAX_DEPTH})`);
    const newDot = t.pipe ? this.evalPipeline(dot, t.pipe) : undefined;
    const s = new State(this.env, t.name, [{ name: '$', value: newDot }], this.depth + 1);
    try {
      s.walk(newDot, tree);
    } finally {
      this.out += s.out;
    }
  }

  // --- expressions

  private evalPipeline(dot: Val, pipe: PipeNode): Val {
    this.at(pipe);
    let value: Final = MISSING;
    for (const cmd of pipe.cmds) value = this.evalCommand(dot, cmd, value);
    const v = value === MISSING ? undefined : value;
    for (const d of pipe.decl) {
      if (pipe.isAssign) this.setVar(d.ident[0], v);
      else this.push(d.ident[0], v);
    }
    return v;
  }

  private notAFunction(args: ArgNode[], final: Final) {
    if (args.length > 1 || final !== MISSING) this.errorf(`can't give argument to non-function ${nodeString(args[0])}`);
  }

  private evalCommand(dot: Val, cmd: CommandNode, final: Final): Val {
    const first = cmd.args[0];
    switch (first.type) {
      case 'field': return this.evalFieldNode(dot, first, cmd.args, final);
      case 'chain': return this.evalChainNode(dot, first, cmd.args, final);
      case 'identifier': return this.evalFunction(dot, first, cmd, cmd.args, final);
      case 'pipe':
        this.notAFunction(cmd.args, final);
        return this.evalPipeline(dot, first);
      case 'variable': return this.evalVariableNode(dot, first, cmd.args, final);
    }
    this.at(first);
    this.notAFunction(cmd.args, final);
    switch (first.type) {
      case 'bool': return first.value;
      case 'dot': return dot;
      case 'nil': this.errorf('nil is not a command');
      case 'number': return first.value;
      case 'string': return first.text;
    }
  }

  private evalFieldNode(dot: Val, field: FieldNode, args: ArgNode[], final: Final): Val {
    this.at(field);
    return this.evalFieldChain(dot, dot, field, field.ident, args, final);
  }

  private evalChainNode(dot: Val, chain: ChainNode, args: ArgNode[], final: Final): Val {
    if (chain.node.type === 'nil') this.errorf(`indirection through explicit nil in ${nodeString(chain)}`);
    const pipe = this.evalArg(dot, 'any', chain.node);
    return this.evalFieldChain(dot, pipe, chain, chain.field, args, final);
  }

  private evalVariableNode(dot: Val, v: VariableNode, args: ArgNode[], final: Final): Val {
    this.at(v);
    const value = this.varValue(v.ident[0]);
    if (v.ident.length === 1) {
      this.notAFunction(args, final);
      return value;
    }
    return this.evalFieldChain(dot, value, v, v.ident.slice(1), args, final);
  }

  private evalFieldChain(dot: Val, receiver: Val, node: Node, ident: string[], args: ArgNode[], final: Final): Val {
    if (this.env.headerFor) return this.env.headerFor(ident[ident.length - 1]);
    const n = ident.length;
    for (let i = 0; i < n - 1; i++) receiver = this.evalField(dot, ident[i], node, [], MISSING, receiver);
    return this.evalField(dot, ident[n - 1], node, args, final, receiver);
  }

  private evalField(dot: Val, name: string, node: Node, args: ArgNode[], final: Final, receiver: Val): Val {
    const kind = kindOf(receiver);
    // undefined is Go's invalid value (missing key); null is treated as a nil map.
    if (kind === 'invalid' || kind === 'nil') return undefined;
    const hasArgs = args.length > 1 || final !== MISSING;
    if (kind === 'map' || kind === 'struct') {
      const { found, value } = lookupKey(receiver, name);
      // Functions on structs are methods and get called; in maps they are plain values.
      if (found && typeof value === 'function' && kind === 'struct') {
        return this.evalCall(dot, { fn: value as FuncDef['fn'], params: [], variadic: 'any' }, false, node, name, args, final);
      }
      if (kind === 'map') {
        if (hasArgs) this.errorf(`${name} is not a method but has arguments`);
        return found ? value : undefined;
      }
      if (found) {
        if (hasArgs) this.errorf(`${name} has arguments but cannot be invoked as function`);
        return value;
      }
    }
    this.errorf(`can't evaluate field ${name} in type ${goTypeName(receiver)}`);
  }

  private evalFunction(dot: Val, node: IdentifierNode, cmd: Node, args: ArgNode[], final: Final): Val {
    this.at(node);
    const name = node.ident;
    const fn = this.env.funcs.get(name);
    if (!fn) this.errorf(`${JSON.stringify(name)} is not a defined function`);
    return this.evalCall(dot, fn, this.env.builtins.has(name), cmd, name, args, final);
  }

  private evalCall(dot: Val, fn: FuncDef, isBuiltin: boolean, node: Node, name: string, allArgs: ArgNode[], final: Final): Val {
    const args = allArgs.slice(1);
    const numIn = args.length + (final !== MISSING ? 1 : 0);
    const fixed = fn.params.length;
    if (fn.variadic !== undefined) {
      if (numIn < fixed) this.errorf(`wrong number of args for ${name}: want at least ${fixed} got ${numIn}`);
    } else if (numIn !== fixed) {
      this.errorf(`wrong number of args for ${name}: want ${fixed} got ${numIn}`);
    }
    const typeAt = (i: number): ParamType => (i < fixed ? fn.params[i] : fn.variadic ?? 'any');
    if (isBuiltin && (name === 'and' || name === 'or')) {
      let v: Val;
      for (const a of args) {
        v = this.evalArg(dot, 'any', a);
        if (isTrue(v) === (name === 'or')) return v;
      }
      if (final !== MISSING) v = this.validateType(final, 'any');
      return v;
    }
    if (this.env.headerFor && isBuiltin && (name === 'index' || name === 'slice')) {
      return args.length ? this.evalArg(dot, 'any', args[0]) : final === MISSING ? undefined : final;
    }
    const argv: Val[] = args.map((a, i) => this.evalArg(dot, typeAt(i), a));
    if (final !== MISSING) argv.push(this.validateType(final, typeAt(args.length)));
    try {
      return fn.fn(...argv);
    } catch (e) {
      if (e instanceof TemplateError || e === BREAK || e === CONTINUE) throw e;
      this.at(node);
      this.errorf(`error calling ${name}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private validateType(v: Val, typ: ParamType): Val {
    const k = kindOf(v);
    switch (typ) {
      case 'any': return v === undefined ? null : v;
      case 'string':
        if (k === 'string') return v;
        break;
      case 'int':
        if (k === 'int') return Number(v);
        break;
      case 'strings':
        if (k === 'nil') return [];
        if (k === 'slice' && sliceItems(v).every((x) => typeof x === 'string')) return sliceItems(v);
        if (k === 'slice') this.errorf(`wrong type for value; expected []string; got ${goTypeName(v)}`);
        break;
    }
    const want = typ === 'strings' ? '[]string' : typ;
    if (k === 'invalid') this.errorf(`invalid value; expected ${want}`);
    this.errorf(`wrong type for value; expected ${want}; got ${goTypeName(v)}`);
  }

  private evalArg(dot: Val, typ: ParamType, n: ArgNode): Val {
    this.at(n);
    switch (n.type) {
      case 'dot': return this.validateType(dot, typ);
      case 'nil':
        if (typ === 'any' || typ === 'strings') return typ === 'any' ? null : [];
        this.errorf(`cannot assign nil to ${typ}`);
      case 'field': return this.validateType(this.evalFieldNode(dot, n, [n], MISSING), typ);
      case 'variable': return this.validateType(this.evalVariableNode(dot, n, [], MISSING), typ);
      case 'pipe': return this.validateType(this.evalPipeline(dot, n), typ);
      case 'identifier': return this.validateType(this.evalFunction(dot, n, n, [n], MISSING), typ);
      case 'chain': return this.validateType(this.evalChainNode(dot, n, [], MISSING), typ);
      case 'bool':
        if (typ === 'any') return n.value;
        this.errorf(`expected ${typ === 'strings' ? '[]string' : typ}; found ${nodeString(n)}`);
      case 'string':
        if (typ === 'any' || typ === 'string') return n.text;
        this.errorf(`expected ${typ === 'int' ? 'integer' : '[]string'}; found ${nodeString(n)}`);
      case 'number':
        if (typ === 'any') return n.value;
        if (typ === 'int' && !n.isFloat) return Number(n.value);
        this.errorf(`expected ${typ === 'int' ? 'integer' : typ === 'string' ? 'string' : '[]string'}; found ${nodeString(n)}`);
    }
  }
}
