// Go's text/tabwriter (flags 0): tab-terminated cells of consecutive lines form column
// blocks; each column is as wide as its widest cell plus padding (at least minwidth).
// The text after a line's last tab is not part of any column and is never padded.

export interface TabwriterOptions {
  /** Minimal cell width including padding (podman: 12). */
  minwidth?: number;
  /** Padding added to each cell's width (podman: 2). */
  padding?: number;
  /** Padding character (podman: space). */
  padchar?: string;
}

/** podman's tabwriter.NewWriter(w, 12, 2, 2, ' ', 0). */
export const PODMAN_TABWRITER: Required<TabwriterOptions> = { minwidth: 12, padding: 2, padchar: ' ' };

function runeCount(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xdc00 || c > 0xdfff) n++;
  }
  return n;
}

/**
 * Aligns lines given as cells: every cell but the last of a line is tab-terminated.
 * Returns the lines joined with "\n" (no trailing newline is added).
 */
export function tabwriter(lines: string[][], opts: TabwriterOptions = {}): string {
  const minwidth = opts.minwidth ?? PODMAN_TABWRITER.minwidth;
  const padding = opts.padding ?? PODMAN_TABWRITER.padding;
  const padchar = opts.padchar ?? PODMAN_TABWRITER.padchar;
  const widths: number[] = [];
  const out: string[] = new Array(lines.length);

  const writeLines = (l0: number, l1: number) => {
    for (let i = l0; i < l1; i++) {
      const line = lines[i];
      let s = '';
      for (let j = 0; j < line.length; j++) {
        s += line[j];
        if (j < widths.length) s += padchar.repeat(Math.max(widths[j] - runeCount(line[j]), 0));
      }
      out[i] = s;
    }
  };

  const format = (line0: number, line1: number) => {
    const column = widths.length;
    for (let t = line0; t < line1; t++) {
      if (column >= lines[t].length - 1) continue;
      // A cell exists in this column: lines line0..t-1 have no more columns.
      writeLines(line0, t);
      line0 = t;
      let width = minwidth;
      for (; t < line1; t++) {
        const line = lines[t];
        if (column >= line.length - 1) break;
        const w = runeCount(line[column]) + padding;
        if (w > width) width = w;
      }
      widths.push(width);
      format(line0, t);
      widths.pop();
      line0 = t;
    }
    writeLines(line0, line1);
  };

  format(0, lines.length);
  return out.join('\n');
}

/** Aligns text whose cells are separated by "\t" and lines by "\n", as a Go tabwriter would. */
export function tabwriteText(text: string, opts: TabwriterOptions = {}): string {
  return tabwriter(text.split('\n').map((l) => l.split('\t')), opts);
}
