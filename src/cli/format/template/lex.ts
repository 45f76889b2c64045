// Lexer for Go text/template syntax: text, {{ actions }}, trim markers ({{- and -}}),
// comments, strings, raw strings, character constants, numbers, fields, variables, keywords.

export enum T {
  Error, Bool, Char, CharConstant, Comment, Assign, Declare, EOF, Field, Identifier,
  LeftDelim, LeftParen, Number, Pipe, RawString, RightDelim, RightParen, Space, String,
  Text, Variable,
  Keyword, // Keywords come after this marker.
  Block, Break, Continue, Dot, Define, Else, End, If, Nil, Range, Template, With,
}

export interface Item {
  typ: T;
  pos: number;
  val: string;
  line: number;
}

const KEYWORDS: Record<string, T> = {
  '.': T.Dot, block: T.Block, break: T.Break, continue: T.Continue, define: T.Define,
  else: T.Else, end: T.End, if: T.If, nil: T.Nil, range: T.Range, template: T.Template, with: T.With,
};

/** How an item appears in parse error messages ("unexpected X in Y"). */
export function itemString(i: Item): string {
  if (i.typ === T.EOF) return 'EOF';
  if (i.typ === T.Error) return i.val;
  if (i.typ > T.Keyword) return `<${i.val}>`;
  if (i.val.length > 10) return JSON.stringify(i.val.slice(0, 10)) + '...';
  return JSON.stringify(i.val);
}

const LEFT = '{{';
const RIGHT = '}}';
const EOF = '';

export function isSpace(c: string): boolean {
  return c === ' ' || c === '\t' || c === '\r' || c === '\n';
}

export function isAlphaNumeric(c: string): boolean {
  return c === '_' || /^[\p{L}\p{Nd}]$/u.test(c);
}

function hasLeftTrimMarker(s: string, at: number): boolean {
  return s[at] === '-' && isSpace(s[at + 1] ?? EOF);
}

function hasRightTrimMarker(s: string, at: number): boolean {
  return isSpace(s[at] ?? EOF) && s[at + 1] === '-';
}

function hexRune(cp: number): string {
  return 'U+' + cp.toString(16).toUpperCase().padStart(4, '0');
}

/** Splits template source into items; a lexing error ends the list with an Error item. */
export function lex(input: string): Item[] {
  const items: Item[] = [];
  let start = 0;
  let pos = 0;
  let line = 1;
  let startLine = 1;
  let parenDepth = 0;

  const emit = (typ: T) => {
    items.push({ typ, pos: start, val: input.slice(start, pos), line: startLine });
    start = pos;
    startLine = line;
  };
  const ignore = () => {
    for (let i = start; i < pos; i++) if (input[i] === '\n') line++;
    start = pos;
    startLine = line;
  };
  const next = (): string => {
    if (pos >= input.length) { pos = input.length + 1; return EOF; }
    const cp = input.codePointAt(pos)!;
    const ch = String.fromCodePoint(cp);
    pos += ch.length;
    if (ch === '\n') line++;
    return ch;
  };
  const backup = (ch: string) => {
    if (ch === EOF) { pos = input.length; return; }
    pos -= ch.length;
    if (ch === '\n') line--;
  };
  const peek = (): string => {
    if (pos >= input.length) return EOF;
    return String.fromCodePoint(input.codePointAt(pos)!);
  };
  const accept = (valid: string): boolean => {
    const c = next();
    if (c !== EOF && valid.includes(c)) return true;
    backup(c);
    return false;
  };
  const acceptRun = (valid: string) => { while (accept(valid)); };
  let failed = false;
  const errorf = (msg: string) => {
    items.push({ typ: T.Error, pos: start, val: msg, line: startLine });
    failed = true;
  };
  const atRightDelim = (): { delim: boolean; trim: boolean } => {
    if (hasRightTrimMarker(input, pos) && input.startsWith(RIGHT, pos + 2)) return { delim: true, trim: true };
    if (input.startsWith(RIGHT, pos)) return { delim: true, trim: false };
    return { delim: false, trim: false };
  };
  const atTerminator = (): boolean => {
    const r = peek();
    if (isSpace(r)) return true;
    if (r === EOF || '.,|:()'.includes(r)) return true;
    return input.startsWith(RIGHT, pos);
  };
  const leftTrimLength = (at: number): number => {
    let n = 0;
    while (at + n < input.length && isSpace(input[at + n])) n++;
    return n;
  };

  type State = (() => State) | null;

  const lexText = (): State => {
    const x = input.indexOf(LEFT, pos);
    if (x >= 0) {
      if (x > pos) {
        pos = x;
        let trim = 0;
        if (hasLeftTrimMarker(input, x + LEFT.length)) {
          while (pos - trim > start && isSpace(input[pos - trim - 1])) trim++;
        }
        const textStart = start;
        const textLine = startLine;
        const val = input.slice(start, pos - trim);
        ignore();
        if (val.length > 0) items.push({ typ: T.Text, pos: textStart, val, line: textLine });
      }
      return lexLeftDelim;
    }
    pos = input.length;
    if (pos > start) {
      for (let i = start; i < pos; i++) if (input[i] === '\n') line++;
      emit(T.Text);
    }
    emit(T.EOF);
    return null;
  };

  const lexLeftDelim = (): State => {
    pos += LEFT.length;
    const trim = hasLeftTrimMarker(input, pos);
    const after = trim ? 2 : 0;
    if (input.startsWith('/*', pos + after)) {
      pos += after;
      ignore();
      return lexComment;
    }
    items.push({ typ: T.LeftDelim, pos: start, val: LEFT, line: startLine });
    pos += after;
    ignore();
    parenDepth = 0;
    return lexInsideAction;
  };

  const lexComment = (): State => {
    pos += 2;
    const x = input.indexOf('*/', pos);
    if (x < 0) { errorf('unclosed comment'); return null; }
    pos = x + 2;
    const { delim, trim } = atRightDelim();
    if (!delim) { errorf('comment ends before closing delimiter'); return null; }
    if (trim) pos += 2;
    pos += RIGHT.length;
    if (trim) pos += leftTrimLength(pos);
    ignore();
    return lexText;
  };

  const lexRightDelim = (): State => {
    const { trim } = atRightDelim();
    if (trim) { pos += 2; ignore(); }
    pos += RIGHT.length;
    emit(T.RightDelim);
    if (trim) { pos += leftTrimLength(pos); ignore(); }
    return lexText;
  };

  const lexInsideAction = (): State => {
    const { delim } = atRightDelim();
    if (delim) {
      if (parenDepth === 0) return lexRightDelim;
      errorf('unclosed left paren');
      return null;
    }
    const r = next();
    if (r === EOF) { errorf('unclosed action'); return null; }
    if (isSpace(r)) { backup(r); return lexSpace; }
    switch (r) {
      case '=': emit(T.Assign); return lexInsideAction;
      case ':':
        if (next() !== '=') { errorf('expected :='); return null; }
        emit(T.Declare); return lexInsideAction;
      case '|': emit(T.Pipe); return lexInsideAction;
      case '"': return lexQuote;
      case '`': return lexRawQuote;
      case '$': return lexVariable;
      case "'": return lexChar;
      case '(': emit(T.LeftParen); parenDepth++; return lexInsideAction;
      case ')':
        emit(T.RightParen);
        parenDepth--;
        if (parenDepth < 0) { errorf(`unexpected right paren ${hexRune(0x29)} ')'`); return null; }
        return lexInsideAction;
    }
    if (r === '.') {
      const c = input[pos];
      if (pos < input.length && (c < '0' || c > '9')) return lexField;
      backup(r);
      return lexNumber;
    }
    if (r === '+' || r === '-' || (r >= '0' && r <= '9')) { backup(r); return lexNumber; }
    if (isAlphaNumeric(r)) { backup(r); return lexIdentifier; }
    const cp = r.codePointAt(0)!;
    if (cp < 0x7f && cp >= 0x20) { emit(T.Char); return lexInsideAction; }
    errorf(`unrecognized character in action: ${hexRune(cp)}${cp >= 0x20 ? ` '${r}'` : ''}`);
    return null;
  };

  const lexSpace = (): State => {
    let n = 0;
    while (isSpace(peek())) { next(); n++; }
    if (hasRightTrimMarker(input, pos - 1) && input.startsWith(RIGHT, pos + 1)) {
      backup(input[pos - 1]);
      if (n === 1) return lexInsideAction;
    }
    emit(T.Space);
    return lexInsideAction;
  };

  const lexIdentifier = (): State => {
    for (;;) {
      const r = next();
      if (isAlphaNumeric(r)) continue;
      backup(r);
      const word = input.slice(start, pos);
      if (!atTerminator()) { badChar(r); return null; }
      const kw = KEYWORDS[word];
      if (kw !== undefined) emit(kw);
      else if (word === 'true' || word === 'false') emit(T.Bool);
      else emit(T.Identifier);
      return lexInsideAction;
    }
  };

  const badChar = (r: string) => {
    const cp = r === EOF ? -1 : r.codePointAt(0)!;
    errorf(`bad character ${cp < 0 ? 'U+FFFFFFFFFFFFFFFF' : hexRune(cp)}${cp >= 0x20 ? ` '${r}'` : ''}`);
  };

  const lexFieldOrVariable = (typ: T): State => {
    if (atTerminator()) {
      emit(typ === T.Variable ? T.Variable : T.Dot);
      return lexInsideAction;
    }
    let r: string;
    for (;;) {
      r = next();
      if (!isAlphaNumeric(r)) { backup(r); break; }
    }
    if (!atTerminator()) { badChar(r); return null; }
    emit(typ);
    return lexInsideAction;
  };
  const lexField = (): State => lexFieldOrVariable(T.Field);
  const lexVariable = (): State => lexFieldOrVariable(T.Variable);

  const lexQuote = (): State => {
    for (;;) {
      let r = next();
      if (r === '\\') {
        r = next();
        if (r !== EOF && r !== '\n') continue;
      }
      if (r === EOF || r === '\n') { errorf('unterminated quoted string'); return null; }
      if (r === '"') break;
    }
    emit(T.String);
    return lexInsideAction;
  };

  const lexRawQuote = (): State => {
    const x = input.indexOf('`', pos);
    if (x < 0) { errorf('unterminated raw quoted string'); return null; }
    for (let i = pos; i < x; i++) if (input[i] === '\n') line++;
    pos = x + 1;
    emit(T.RawString);
    return lexInsideAction;
  };

  const lexChar = (): State => {
    for (;;) {
      let r = next();
      if (r === '\\') {
        r = next();
        if (r !== EOF && r !== '\n') continue;
      }
      if (r === EOF || r === '\n') { errorf('unterminated character constant'); return null; }
      if (r === "'") break;
    }
    emit(T.CharConstant);
    return lexInsideAction;
  };

  const scanNumber = (): boolean => {
    accept('+-');
    let digits = '0123456789_';
    if (accept('0')) {
      if (accept('xX')) digits = '0123456789abcdefABCDEF_';
      else if (accept('oO')) digits = '01234567_';
      else if (accept('bB')) digits = '01_';
    }
    acceptRun(digits);
    if (accept('.')) acceptRun(digits);
    if (digits.length === 11 && accept('eE')) { accept('+-'); acceptRun('0123456789_'); }
    if (digits.length === 23 && accept('pP')) { accept('+-'); acceptRun('0123456789_'); }
    accept('i');
    if (isAlphaNumeric(peek())) { next(); return false; }
    return true;
  };

  const lexNumber = (): State => {
    if (!scanNumber()) { errorf(`bad number syntax: ${JSON.stringify(input.slice(start, pos))}`); return null; }
    emit(T.Number);
    return lexInsideAction;
  };

  let state: State = lexText;
  while (state && !failed) state = state();
  return items;
}
