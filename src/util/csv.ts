// pflag's StringSlice values: each occurrence of the flag is one CSV record.

/** pflag's StringSlice: each occurrence is a CSV record; `"a,b"` quoting keeps commas. */
export function splitCSV(values: string[] | undefined): string[] {
  const out: string[] = [];
  for (const v of values ?? []) {
    if (v === '') continue;
    let cur = '';
    let quoted = false;
    for (let i = 0; i < v.length; i++) {
      const c = v[i];
      if (c === '"') {
        if (quoted && v[i + 1] === '"') { cur += '"'; i++; } else quoted = !quoted;
      } else if (c === ',' && !quoted) { out.push(cur); cur = ''; } else cur += c;
    }
    out.push(cur);
  }
  return out;
}
