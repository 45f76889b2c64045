// Copy progress on stderr, as podman prints it: plain lines when stderr is not a terminal,
// live per-blob progress bars when it is.
import type { ProgressSink } from '../domain/images';
import { bytesSize } from './format/units';
import { writeStderr } from '../util/stdio';

const BAR_WIDTH = 30;
const REDRAW_MS = 100;

interface Bar { label: string; done: number; total: number; finished: boolean; note?: string }

class TerminalProgress implements ProgressSink {
  private bars: Bar[] = [];
  private byId = new Map<string, Bar>();
  private drawn = 0;
  private last = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly out: NodeJS.WriteStream) {}

  line(s: string): void {
    const blob = /^Copying (blob|config) (?:sha256:)?([a-f0-9]{12})[a-f0-9]*( skipped: already exists)?$/.exec(s);
    if (blob) {
      const bar: Bar = { label: `Copying ${blob[1]} ${blob[2]}`, done: 0, total: 0, finished: !!blob[3] || blob[1] === 'config', note: blob[3] ? 'skipped: already exists' : undefined };
      this.bars.push(bar);
      this.byId.set(blob[2], bar);
      this.draw(true);
      return;
    }
    this.flush();
    this.out.write(s.endsWith('\n') ? s : s + '\n');
  }

  bytes(id: string, done: number, total: number): void {
    const bar = this.byId.get(id.slice(0, 12));
    if (!bar) return;
    bar.done = done;
    bar.total = total;
    if (total && done >= total) bar.finished = true;
    this.draw(bar.finished);
  }

  private render(b: Bar): string {
    if (b.note) return `${b.label} ${b.note}`;
    if (b.finished) return `${b.label} done`;
    const frac = b.total ? Math.min(1, b.done / b.total) : 0;
    const fill = Math.round(frac * BAR_WIDTH);
    const bar = '='.repeat(Math.max(0, fill - 1)) + (fill ? '>' : '') + '-'.repeat(BAR_WIDTH - fill);
    return `${b.label} [${bar}] ${bytesSize(b.done)} / ${bytesSize(b.total)}`;
  }

  private draw(force = false): void {
    const now = Date.now();
    if (!force && now - this.last < REDRAW_MS) {
      if (!this.timer) this.timer = setTimeout(() => { this.timer = undefined; this.draw(true); }, REDRAW_MS);
      return;
    }
    this.last = now;
    let s = this.drawn ? `\x1b[${this.drawn}A` : '';
    for (const b of this.bars) s += `\r\x1b[2K${this.render(b)}\n`;
    this.drawn = this.bars.length;
    this.out.write(s);
  }

  /** Finish the bars block so plain lines print below it. */
  private flush(): void {
    if (this.timer) { clearTimeout(this.timer); this.timer = undefined; }
    if (this.bars.length) {
      for (const b of this.bars) b.finished = true;
      this.draw(true);
    }
    this.bars = [];
    this.byId.clear();
    this.drawn = 0;
  }
}

/** The progress sink for stderr. */
export function stderrProgress(): ProgressSink {
  // process.stderr (and the tty module behind isTTY) costs ~5-10 ms to set up: a run that
  // pulls nothing never touches it, so the sink is made on its first use.
  let sink: ProgressSink | undefined;
  const get = (): ProgressSink => (sink ??= process.stderr.isTTY
    ? new TerminalProgress(process.stderr)
    : { line: (s) => { writeStderr(s.endsWith('\n') ? s : s + '\n'); } });
  // bytes/blobDone exist only on a terminal's sink (a pull counts bytes only for a bar):
  // getters, asked when a pull starts, keep that without making the sink up front.
  return {
    line: (s) => get().line(s),
    get bytes() { const s = get(); return s.bytes?.bind(s); },
    get blobDone() { const s = get(); return s.blobDone?.bind(s); },
  };
}
