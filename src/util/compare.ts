// Plain code-unit string ordering. (String.prototype.localeCompare starts ICU's collator,
// which costs ~10 ms at start-up; names here are ASCII, so the orders agree.)
export function byString(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function byName<T extends { name: string }>(a: T, b: T): number {
  return byString(a.name, b.name);
}
