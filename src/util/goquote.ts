// Go's strconv.Quote: the template printer's %q and the quoting of generated command lines.

/** Go's strconv.Quote (asciiOnly = QuoteToASCII). */
export function goQuote(s: string, asciiOnly = false, quote = '"'): string {
  let out = quote;
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === quote || ch === '\\') { out += '\\' + ch; continue; }
    if (cp >= 0x20 && cp < 0x7f) { out += ch; continue; }
    switch (ch) {
      case '\x07': out += '\\a'; continue;
      case '\b': out += '\\b'; continue;
      case '\f': out += '\\f'; continue;
      case '\n': out += '\\n'; continue;
      case '\r': out += '\\r'; continue;
      case '\t': out += '\\t'; continue;
      case '\v': out += '\\v'; continue;
    }
    if (cp < 0x20 || cp === 0x7f) { out += '\\x' + cp.toString(16).padStart(2, '0'); continue; }
    if (cp >= 0xd800 && cp <= 0xdfff) { out += '\\ufffd'; continue; }
    if (!asciiOnly && /[\p{L}\p{M}\p{N}\p{P}\p{S}\u0020]/u.test(ch)) { out += ch; continue; }
    out += cp > 0xffff ? '\\U' + cp.toString(16).padStart(8, '0') : '\\u' + cp.toString(16).padStart(4, '0');
  }
  return out + quote;
}
