// Parser for Go text/template: builds the tree for the main template and any
// {{define}}/{{block}} templates, with Go's parse error messages.
import { TemplateError } from './errors';
import { Item, T, itemString, lex } from './lex';
import {
  ArgNode, BranchNode, CommandNode, ElseNode, EndNode, ListNode, Node, NumberNode, PipeNode,
  TemplateNode, VariableNode, nodeString,
} from './nodes';
import { goRuneLiteral, goUnquote } from './unquote';

export interface ParsedTemplates {
  /** The main template's tree. */
  root: ListNode;
  /** Templates declared with {{define}} or {{block}}, by name. */
  defs: Map<string, ListNode>;
}

/** Parses template source; `hasFunction` tells which identifiers are callable functions. */
export function parseTemplate(name: string, src: string, hasFunction: (n: string) => boolean): ParsedTemplates {
  return new Parser(name, src, hasFunction).parse();
}

function parseNumber(text: string): { value: number | bigint; isFloat: boolean } | undefined {
  const clean = text.replace(/_/g, '');
  if (/i$/.test(clean)) return undefined; // complex numbers are not supported
  const m = /^([+-]?)(0[xX][0-9a-fA-F]+|0[oO]?[0-7]+|0[bB][01]+|[0-9]+)$/.exec(clean);
  if (m) {
    let body = m[2];
    if (/^0[0-7]/.test(body)) body = '0o' + body.slice(1);
    else if (/^0[oO]/.test(body)) body = '0o' + body.slice(2);
    let big = BigInt(body);
    if (m[1] === '-') big = -big;
    const n = Number(big);
    return { value: Number.isSafeInteger(n) ? n : big, isFloat: false };
  }
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(clean) || /^[+-]?0[xX]/.test(clean)) {
    const f = Number(clean);
    if (Number.isNaN(f)) return undefined;
    return { value: f, isFloat: true };
  }
  return undefined;
}

class Parser {
  private items: Item[];
  private idx = 0;
  private vars: string[] = ['$'];
  private rangeDepth = 0;
  private actionLine = 0;
  private defs = new Map<string, ListNode>();

  constructor(private name: string, src: string, private hasFunction: (n: string) => boolean) {
    this.items = lex(src);
  }

  private errorf(msg: string): never {
    const last = this.items[Math.min(Math.max(this.idx - 1, 0), this.items.length - 1)];
    throw new TemplateError(`template: ${this.name}:${last?.line ?? 1}: ${msg}`);
  }

  private next(): Item { return this.items[Math.min(this.idx++, this.items.length - 1)]; }
  private backup(n = 1) { this.idx -= n; }
  private peek(): Item { return this.items[Math.min(this.idx, this.items.length - 1)]; }
  private nextNonSpace(): Item {
    let t: Item;
    do { t = this.next(); } while (t.typ === T.Space);
    return t;
  }
  private peekNonSpace(): Item {
    const t = this.nextNonSpace();
    this.backup();
    return t;
  }
  private expect(typ: T, context: string): Item {
    const t = this.nextNonSpace();
    if (t.typ !== typ) this.unexpected(t, context);
    return t;
  }
  private unexpected(t: Item, context: string): never {
    if (t.typ === T.Error) {
      let extra = '';
      if (this.actionLine !== 0 && this.actionLine !== t.line) {
        extra = ` in action started at ${this.name}:${this.actionLine}`;
        if (t.val.endsWith(' action')) extra = extra.slice(' in action'.length);
      }
      this.errorf(t.val + extra);
    }
    this.errorf(`unexpected ${itemString(t)} in ${context}`);
  }

  parse(): ParsedTemplates {
    const root: ListNode = { type: 'list', pos: this.peek().pos, line: this.peek().line, nodes: [] };
    while (this.peek().typ !== T.EOF) {
      if (this.peek().typ === T.LeftDelim) {
        const save = this.idx;
        this.next();
        if (this.nextNonSpace().typ === T.Define) {
          this.parseDefinition();
          continue;
        }
        this.idx = save;
      }
      const n = this.textOrAction();
      if (n.type === 'end' || n.type === 'else') this.errorf(`unexpected ${nodeString(n)}`);
      root.nodes.push(n);
    }
    return { root, defs: this.defs };
  }

  private templateName(t: Item, context: string): string {
    if (t.typ !== T.String && t.typ !== T.RawString) this.unexpected(t, context);
    try { return goUnquote(t.val); } catch (e) { this.errorf((e as Error).message); }
  }

  private parseDefinition(): void {
    const context = 'define clause';
    const nameTok = this.nextNonSpace();
    const name = this.templateName(nameTok, context);
    this.expect(T.RightDelim, context);
    const saveVars = this.vars;
    this.vars = ['$'];
    const [list, end] = this.itemList();
    this.vars = saveVars;
    if (end.type !== 'end') this.errorf(`unexpected ${nodeString(end)} in ${context}`);
    this.defs.set(name, list);
  }

  private itemList(): [ListNode, EndNode | ElseNode] {
    const first = this.peekNonSpace();
    const list: ListNode = { type: 'list', pos: first.pos, line: first.line, nodes: [] };
    while (this.peekNonSpace().typ !== T.EOF) {
      const n = this.textOrAction();
      if (n.type === 'end' || n.type === 'else') return [list, n];
      list.nodes.push(n);
    }
    this.errorf('unexpected EOF');
  }

  private textOrAction(): Node {
    const t = this.nextNonSpace();
    switch (t.typ) {
      case T.Text: return { type: 'text', pos: t.pos, line: t.line, text: t.val };
      case T.LeftDelim: {
        this.actionLine = t.line;
        try { return this.action(); } finally { this.actionLine = 0; }
      }
      case T.Comment: return { type: 'comment', pos: t.pos, line: t.line, text: t.val };
      default: this.unexpected(t, 'input');
    }
  }

  private action(): Node {
    const t = this.nextNonSpace();
    switch (t.typ) {
      case T.Block: return this.blockControl();
      case T.Break: return this.breakControl(t, 'break');
      case T.Continue: return this.breakControl(t, 'continue');
      case T.Else: return this.elseControl();
      case T.End: return { type: 'end', pos: this.expect(T.RightDelim, 'end').pos, line: t.line };
      case T.If: return this.control('if');
      case T.Range: return this.control('range');
      case T.Template: return this.templateControl();
      case T.With: return this.control('with');
    }
    this.backup();
    const p = this.peek();
    return { type: 'action', pos: p.pos, line: p.line, pipe: this.pipeline('command', T.RightDelim) };
  }

  private breakControl(t: Item, kind: 'break' | 'continue'): Node {
    const tok = this.nextNonSpace();
    if (tok.typ !== T.RightDelim) this.unexpected(tok, `{{${kind}}}`);
    if (this.rangeDepth === 0) this.errorf(`{{${kind}}} outside {{range}}`);
    return { type: kind, pos: t.pos, line: t.line };
  }

  private elseControl(): ElseNode {
    const p = this.peekNonSpace();
    if (p.typ === T.If || p.typ === T.With) return { type: 'else', pos: p.pos, line: p.line };
    const t = this.expect(T.RightDelim, 'else');
    return { type: 'else', pos: t.pos, line: t.line };
  }

  private control(kind: 'if' | 'range' | 'with'): BranchNode {
    const nvars = this.vars.length;
    try {
      const pipe = this.pipeline(kind, T.RightDelim);
      if (kind === 'range') this.rangeDepth++;
      let [list, next] = this.itemList();
      if (kind === 'range') this.rangeDepth--;
      let elseList: ListNode | undefined;
      if (next.type === 'else') {
        const p = this.peek();
        if (kind !== 'range' && (p.typ === T.If && kind === 'if' || p.typ === T.With && kind === 'with')) {
          // {{else if x}} is {{else}}{{if x}}...{{end}}{{end}} with a single {{end}}.
          this.next();
          elseList = { type: 'list', pos: next.pos, line: next.line, nodes: [this.control(kind)] };
        } else {
          [elseList, next] = this.itemList();
          if (next.type !== 'end') this.errorf(`expected end; found ${nodeString(next)}`);
        }
      }
      return { type: kind, pos: pipe.pos, line: pipe.line, pipe, list, elseList };
    } finally {
      this.vars.length = nvars;
    }
  }

  private templateControl(): TemplateNode {
    const context = 'template clause';
    const t = this.nextNonSpace();
    const name = this.templateName(t, context);
    let pipe: PipeNode | undefined;
    if (this.nextNonSpace().typ !== T.RightDelim) {
      this.backup();
      pipe = this.pipeline(context, T.RightDelim);
    }
    return { type: 'template', pos: t.pos, line: t.line, name, pipe };
  }

  private blockControl(): TemplateNode {
    const context = 'block clause';
    const t = this.nextNonSpace();
    const name = this.templateName(t, context);
    const pipe = this.pipeline(context, T.RightDelim);
    const saveVars = this.vars;
    this.vars = ['$'];
    const [list, end] = this.itemList();
    this.vars = saveVars;
    if (end.type !== 'end') this.errorf(`unexpected ${nodeString(end)} in ${context}`);
    this.defs.set(name, list);
    return { type: 'template', pos: t.pos, line: t.line, name, pipe };
  }

  private newVar(t: Item): VariableNode {
    return { type: 'variable', pos: t.pos, line: t.line, ident: t.val.split('.') };
  }

  private pipeline(context: string, end: T): PipeNode {
    const first = this.peekNonSpace();
    const pipe: PipeNode = { type: 'pipe', pos: first.pos, line: first.line, isAssign: false, decl: [], cmds: [] };
    decls: for (;;) {
      const v = this.peekNonSpace();
      if (v.typ !== T.Variable) break;
      this.nextNonSpace();
      const afterVarIdx = this.idx;
      const nxt = this.peekNonSpace();
      if (nxt.typ === T.Assign || nxt.typ === T.Declare) {
        pipe.isAssign = nxt.typ === T.Assign;
        this.nextNonSpace();
        pipe.decl.push(this.newVar(v));
        this.vars.push(v.val);
      } else if (nxt.typ === T.Char && nxt.val === ',') {
        this.nextNonSpace();
        pipe.decl.push(this.newVar(v));
        this.vars.push(v.val);
        if (context === 'range' && pipe.decl.length < 2) {
          const p = this.peekNonSpace().typ;
          if (p === T.Variable || p === T.RightDelim || p === T.RightParen) continue decls;
          this.errorf('range can only initialize variables');
        }
        this.errorf(`too many declarations in ${context}`);
      } else {
        // "$x foo" or "$x.F": the variable is an operand, not a declaration.
        this.idx = afterVarIdx - 1;
      }
      break;
    }
    for (;;) {
      const t = this.nextNonSpace();
      if (t.typ === end) {
        this.checkPipeline(pipe, context);
        return pipe;
      }
      switch (t.typ) {
        case T.Bool: case T.CharConstant: case T.Dot: case T.Field: case T.Identifier:
        case T.Number: case T.Nil: case T.RawString: case T.String: case T.Variable: case T.LeftParen:
          this.backup();
          pipe.cmds.push(this.command());
          break;
        default:
          this.unexpected(t, context);
      }
    }
  }

  private checkPipeline(pipe: PipeNode, context: string): void {
    if (pipe.cmds.length === 0) this.errorf(`missing value for ${context}`);
    pipe.cmds.slice(1).forEach((c, i) => {
      const k = c.args[0].type;
      if (k === 'bool' || k === 'dot' || k === 'nil' || k === 'number' || k === 'string') {
        this.errorf(`non executable command in pipeline stage ${i + 2}`);
      }
    });
  }

  private command(): CommandNode {
    const first = this.peekNonSpace();
    const cmd: CommandNode = { type: 'command', pos: first.pos, line: first.line, args: [] };
    for (;;) {
      this.peekNonSpace();
      const operand = this.operand();
      if (operand) cmd.args.push(operand);
      const t = this.next();
      if (t.typ === T.Space) continue;
      if (t.typ === T.RightDelim || t.typ === T.RightParen) this.backup();
      else if (t.typ !== T.Pipe) this.unexpected(t, 'operand');
      break;
    }
    if (cmd.args.length === 0) this.errorf('empty command');
    return cmd;
  }

  private operand(): ArgNode | undefined {
    const node = this.term();
    if (!node) return undefined;
    if (this.peek().typ !== T.Field) return node;
    const fields: string[] = [];
    const pos = this.peek().pos;
    while (this.peek().typ === T.Field) fields.push(...this.next().val.slice(1).split('.'));
    // Like Go, a chained field or variable takes the position of its second part.
    switch (node.type) {
      case 'field': return { ...node, pos, ident: [...node.ident, ...fields] };
      case 'variable': return { ...node, pos, ident: [...node.ident, ...fields] };
      case 'bool': case 'string': case 'number': case 'nil': case 'dot':
        this.errorf(`unexpected . after term ${JSON.stringify(nodeString(node))}`);
      default:
        return { type: 'chain', pos, line: node.line, node, field: fields };
    }
  }

  private term(): ArgNode | undefined {
    const t = this.nextNonSpace();
    const base = { pos: t.pos, line: t.line };
    switch (t.typ) {
      case T.Identifier:
        if (!this.hasFunction(t.val)) this.errorf(`function ${JSON.stringify(t.val)} not defined`);
        return { type: 'identifier', ...base, ident: t.val };
      case T.Dot: return { type: 'dot', ...base };
      case T.Nil: return { type: 'nil', ...base };
      case T.Variable: {
        const v = this.newVar(t);
        if (!this.vars.includes(v.ident[0])) this.errorf(`undefined variable ${JSON.stringify(v.ident[0])}`);
        return v;
      }
      case T.Field: return { type: 'field', ...base, ident: t.val.slice(1).split('.') };
      case T.Bool: return { type: 'bool', ...base, value: t.val === 'true' };
      case T.CharConstant: {
        let cp: number;
        try { cp = goRuneLiteral(t.val); } catch (e) { this.errorf((e as Error).message); }
        const n: NumberNode = { type: 'number', ...base, value: cp, isFloat: false, text: t.val };
        return n;
      }
      case T.Number: {
        const parsed = parseNumber(t.val);
        if (!parsed) this.errorf(`illegal number syntax: ${JSON.stringify(t.val)}`);
        return { type: 'number', ...base, value: parsed.value, isFloat: parsed.isFloat, text: t.val };
      }
      case T.LeftParen: return this.pipeline('parenthesized pipeline', T.RightParen);
      case T.String: case T.RawString: {
        let s: string;
        try { s = goUnquote(t.val); } catch (e) { this.errorf((e as Error).message); }
        return { type: 'string', ...base, quoted: t.val, text: s };
      }
    }
    this.backup();
    return undefined;
  }
}
