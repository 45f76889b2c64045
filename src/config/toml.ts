// TOML parsing for the containers ecosystem's config files. containers.conf as shipped is
// ~700 lines, nearly all comments; smol-toml walks comments a character at a time in cold
// (not yet optimised) code, ~3 ms of every command. Whole-line comments are blanked first with
// one regular expression (line numbers in errors stay right), unless the file has multi-line
// strings, in which a line starting with '#' can be content.
import { parse } from 'smol-toml';

export function parseToml(text: string): Record<string, any> {
  const plain = text.includes('"""') || text.includes("'''") ? text : text.replace(/^[ \t]*#.*$/gm, '');
  return parse(plain) as Record<string, any>;
}
