// Attaching to a container (or exec session) through conmon's attach socket.
//
// conmon listens on `<bundle>/attach` (with --full-attach) as an AF_UNIX SOCK_SEQPACKET
// socket. Every packet it sends is one read of the container's output prefixed by a byte
// naming the stream (2 = stdout, 3 = stderr; a tty only uses 2); what the client sends is
// raw stdin; the client shutting down its write side closes the container's stdin.
//
// Node's net module only speaks SOCK_STREAM, so pier connects the socket with its native
// addon (seqpacketConnect) and reads it on libuv's thread pool; one read is one packet.
// Without the addon, a tiny Perl bridge process (perl-base is Essential on Debian) relays
// packets to its stdout as length-prefixed frames and its stdin to the socket.
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PierError } from '../util/errors';
import { native, nativeAvailable } from '../util/native';

/** conmon's stream markers on the attach socket. */
export const STREAM_STDOUT = 2;
export const STREAM_STDERR = 3;

/** podman's default detach sequence. */
export const DEFAULT_DETACH_KEYS = 'ctrl-p,ctrl-q';

const BRIDGE = String.raw`
use strict; use Socket;
my ($dir, $name, $want_stdin) = @ARGV;
$SIG{PIPE} = 'IGNORE';
chdir($dir) or do { print STDERR "cannot reach $dir: $!\n"; exit 2 };
socket(my $s, AF_UNIX, SOCK_SEQPACKET, 0) or do { print STDERR "socket: $!\n"; exit 2 };
connect($s, pack_sockaddr_un($name)) or do { print STDERR "connect $dir/$name: $!\n"; exit 3 };
binmode STDIN; binmode STDOUT;
sub out { my $b = pack('N', length $_[0]) . $_[0];
  while (length $b) { my $n = syswrite(STDOUT, $b); exit 0 unless defined $n; substr($b, 0, $n) = ''; } }
out('');
my $in = $want_stdin ? 1 : 0;
while (1) {
  my $rin = ''; vec($rin, fileno($s), 1) = 1; vec($rin, fileno(STDIN), 1) = 1 if $in;
  my $n = select(my $rout = $rin, undef, undef, undef);
  if ($n < 0) { next if $!{EINTR}; last; }
  if (vec($rout, fileno($s), 1)) {
    my $buf = ''; my $r = recv($s, $buf, 262144, 0);
    last if !defined $r || length($buf) == 0;
    out($buf);
  }
  if ($in && vec($rout, fileno(STDIN), 1)) {
    my $buf; my $k = sysread(STDIN, $buf, 8192);
    if (!$k) { $in = 0; shutdown($s, 1); }
    else { defined(send($s, $buf, 0)) or last; }
  }
}
exit 0;
`;

/** Parses podman-style detach keys ("ctrl-p,ctrl-q", "a,b") into bytes; '' disables detaching. */
export function parseDetachKeys(spec: string): number[] {
  if (spec === '') return [];
  const out: number[] = [];
  for (const key of spec.split(',')) {
    if (key.length === 1) { out.push(key.charCodeAt(0)); continue; }
    const m = /^ctrl-(.)$/i.exec(key);
    if (m) {
      const c = m[1].toLowerCase();
      if (c >= 'a' && c <= 'z') { out.push(c.charCodeAt(0) - 96); continue; }
      const special: Record<string, number> = { '@': 0, '[': 27, '\\': 28, ']': 29, '^': 30, '_': 31 };
      if (c in special) { out.push(special[c]); continue; }
    }
    throw new PierError(`invalid detach keys: ${spec}`);
  }
  return out;
}

/** Asks conmon to resize the container's terminal (the `ctl` fifo in the bundle/exec dir). */
export function resizeTerminal(dir: string, height: number, width: number): void {
  const fd = fs.openSync(path.join(dir, 'ctl'), fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
  try { fs.writeSync(fd, `1 ${Math.max(0, Math.floor(height))} ${Math.max(0, Math.floor(width))}\n`); } finally { fs.closeSync(fd); }
}

/** Where a size asked for before the container's conmon listens is kept for its start (resizeOrKeep). */
const KEPT_SIZE = 'winsize';

/**
 * resizeTerminal, or, while no conmon listens on the container's `ctl` (a container not started
 * yet: a remote `run -it` resizes between its attach and its start), the size kept for the start.
 */
export function resizeOrKeep(dir: string, height: number, width: number): void {
  try {
    resizeTerminal(dir, height, width);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENXIO' && code !== 'ENOENT') throw e;
    fs.writeFileSync(path.join(dir, KEPT_SIZE), `${Math.floor(height)} ${Math.floor(width)}`);
  }
}

/** The size resizeOrKeep kept for the next start, if any (left in place for applyKeptSize). */
export function keptSize(dir: string): { height: number; width: number } | undefined {
  let kept: string;
  try { kept = fs.readFileSync(path.join(dir, KEPT_SIZE), 'utf8'); } catch { return undefined; }
  const [height, width] = kept.split(' ').map(Number);
  return height > 0 && width > 0 ? { height, width } : undefined;
}

/** At a start, once conmon listens and before the process runs: the size resizeOrKeep kept, applied and forgotten. */
export function applyKeptSize(dir: string): void {
  let kept: string;
  try { kept = fs.readFileSync(path.join(dir, KEPT_SIZE), 'utf8'); } catch { return; }
  fs.rmSync(path.join(dir, KEPT_SIZE), { force: true });
  const [h, w] = kept.split(' ').map(Number);
  try { resizeTerminal(dir, h, w); } catch { /* conmon went away */ }
}

/** Asks conmon to reopen the container's log file (after it was rotated by someone else). */
export function reopenLogs(dir: string): void {
  const fd = fs.openSync(path.join(dir, 'ctl'), fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
  try { fs.writeSync(fd, '2 0 0\n'); } finally { fs.closeSync(fd); }
}

export interface AttachOptions {
  /** Directory holding conmon's `attach` socket (the bundle, or the exec session dir). */
  dir: string;
  /** Socket name inside dir (default "attach"). */
  socketName?: string;
  /** Forwarded to the container's stdin; its end closes the container's stdin. */
  stdin?: NodeJS.ReadableStream | null;
  /** Receives the container's stdout (and a tty's output). */
  stdout?: NodeJS.WritableStream | null;
  /** Receives the container's stderr. */
  stderr?: NodeJS.WritableStream | null;
  /** Detach sequence (default ctrl-p,ctrl-q); '' disables. Only watched on stdin. */
  detachKeys?: string;
  /** Perl interpreter for the socket bridge (default: perl from $PATH). */
  perl?: string;
}

/** How an attach session ended. */
export interface AttachResult {
  /** True when the user typed the detach keys; false when conmon closed the socket. */
  detached: boolean;
}

/** A live connection to conmon's attach socket. */
export interface AttachSession {
  /** Settles when the session ends: the container's streams closed or the user detached. */
  readonly done: Promise<AttachResult>;
  /** Resizes the container's terminal through conmon's ctl fifo. */
  resize(height: number, width: number): void;
  /** Detaches (closes the connection without touching the container). */
  detach(): void;
}

/** A connection to conmon's attach socket: packets in, raw stdin bytes out. */
interface Transport {
  /** Deliver packets (stream byte + data); `resume` must be called before the next one. */
  start(onPacket: (packet: Buffer, resume: () => void) => void, onClose: (err?: Error) => void): void;
  write(data: Buffer): void;
  endWrite(): void;
  close(): void;
}

/** conmon reads stdin packets into a fixed buffer: never send bigger ones. */
const MAX_STDIN_PACKET = 8192;

/** The socket opened by pier's native addon, read on libuv's thread pool. */
class NativeTransport implements Transport {
  private closed = false;
  private reading = false;
  constructor(private readonly fd: number) {}

  static connect(dir: string, name: string): NativeTransport | undefined {
    if (!nativeAvailable()) return undefined;
    const n = native();
    if (typeof n.seqpacketConnect !== 'function') return undefined;
    try {
      return new NativeTransport(n.seqpacketConnect(dir, name));
    } catch (e: any) {
      const why = e.code === 'ENOENT' ? 'No such file or directory' : e.code === 'ECONNREFUSED' ? 'Connection refused' : e.code ?? e.message;
      throw new PierError(`attach: connect ${path.join(dir, name)}: ${why}`);
    }
  }

  start(onPacket: (packet: Buffer, resume: () => void) => void, onClose: (err?: Error) => void): void {
    const buf = Buffer.allocUnsafe(262144);
    const next = () => {
      this.reading = true;
      fs.read(this.fd, buf, 0, buf.length, null, (err, n) => {
        this.reading = false;
        if (err || n === 0 || this.closed) { this.finish(); onClose(this.closed ? undefined : err ?? undefined); return; }
        onPacket(Buffer.from(buf.subarray(0, n)), next);
      });
    };
    next();
  }

  write(data: Buffer): void {
    for (let off = 0; off < data.length && !this.closed; off += MAX_STDIN_PACKET) {
      try { fs.writeSync(this.fd, data.subarray(off, off + MAX_STDIN_PACKET)); } catch { return; }
    }
  }

  endWrite(): void {
    if (!this.closed) try { native().shutdownSocket(this.fd, 1); } catch { /* gone */ }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    // Wakes a blocked read (it returns 0); the fd is closed once no read is pending.
    try { native().shutdownSocket(this.fd, 2); } catch { /* gone */ }
    if (!this.reading) this.finish();
  }

  private finished = false;
  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    try { fs.closeSync(this.fd); } catch { /* closed */ }
  }
}

/** Fallback without the addon: a tiny Perl process relays the socket as length-prefixed frames. */
class PerlTransport implements Transport {
  private bridge: ChildProcess;
  private errText = '';
  constructor(dir: string, name: string, wantStdin: boolean, perl: string) {
    const { spawn } = require('node:child_process') as typeof import('node:child_process');
    this.bridge = spawn(perl, ['-e', BRIDGE, dir, name, wantStdin ? '1' : '0'], { stdio: [wantStdin ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
    this.bridge.stderr!.on('data', (d: Buffer) => { this.errText += d.toString(); });
    this.bridge.stdin?.on('error', () => undefined);
  }

  /** Resolves once the bridge reports the connection. */
  connected(): Promise<void> {
    return new Promise((resolve, reject) => {
      let pending = Buffer.alloc(0);
      const onData = (chunk: Buffer) => {
        pending = Buffer.concat([pending, chunk]);
        if (pending.length < 4) return;
        this.bridge.stdout!.off('data', onData);
        this.bridge.off('close', onClose);
        this.bridge.stdout!.pause();
        const rest = pending.subarray(4 + pending.readUInt32BE(0));
        if (rest.length) this.bridge.stdout!.unshift(rest);
        resolve();
      };
      const onClose = (code: number) => reject(new PierError(`attach: ${this.errText.trim() || `socket bridge exited with code ${code}`}`));
      this.bridge.on('error', (e) => reject(new PierError(`attach: cannot start the socket bridge (perl): ${e.message}`)));
      this.bridge.stdout!.on('data', onData);
      this.bridge.on('close', onClose);
    });
  }

  start(onPacket: (packet: Buffer, resume: () => void) => void, onClose: (err?: Error) => void): void {
    const out = this.bridge.stdout!;
    let pending: Buffer = Buffer.alloc(0);
    out.on('data', (chunk: Buffer) => {
      pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      while (pending.length >= 4) {
        const len = pending.readUInt32BE(0);
        if (pending.length < 4 + len) break;
        const packet = pending.subarray(4, 4 + len);
        pending = pending.subarray(4 + len);
        let resumed = false;
        out.pause();
        onPacket(packet, () => { resumed = true; out.resume(); });
        if (!resumed) return;
      }
    });
    this.bridge.on('close', () => onClose());
    out.resume();
  }

  write(data: Buffer): void { this.bridge.stdin?.write(data); }
  endWrite(): void { this.bridge.stdin?.end(); }
  close(): void { this.bridge.kill('SIGTERM'); }
}

/** Connects to conmon's attach socket and starts relaying; resolves once connected. */
export async function attach(opts: AttachOptions): Promise<AttachSession> {
  const detachSeq = parseDetachKeys(opts.detachKeys ?? DEFAULT_DETACH_KEYS);
  const name = opts.socketName ?? 'attach';
  let transport: Transport | undefined = opts.perl ? undefined : NativeTransport.connect(opts.dir, name);
  if (!transport) {
    const perl = new PerlTransport(opts.dir, name, !!opts.stdin, opts.perl ?? 'perl');
    await perl.connected();
    transport = perl;
  }
  const t = transport;
  let detached = false;
  let resolveDone!: (r: AttachResult) => void;
  const done = new Promise<AttachResult>((res) => { resolveDone = res; });
  const session: AttachSession = {
    done,
    resize: (h, w) => resizeTerminal(opts.dir, h, w),
    detach: () => {
      detached = true;
      stopStdin();
      t.close();
    },
  };

  t.start((packet, resume) => {
    if (packet.length <= 1) { resume(); return; }
    const data = packet.subarray(1);
    const dest = packet[0] === STREAM_STDERR ? opts.stderr : opts.stdout;
    if (dest && dest.write(data) === false) dest.once('drain', resume);
    else resume();
  }, () => {
    stopStdin();
    resolveDone({ detached });
  });

  // stdin → socket, watching for the detach sequence. As podman's CopyDetachable, the keys
  // count only when they arrive on their own (typed: each read holds nothing but keys of the
  // sequence); bytes that merely occur inside piped data (exec -i < file) are passed through.
  let held: number[] = [];
  const onData = (chunk: Buffer | string) => {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    if (!detachSeq.length) { t.write(buf); return; }
    const keys = buf.length > 0 && buf.length <= detachSeq.length - held.length && buf.every((b, i) => b === detachSeq[held.length + i]);
    if (keys) {
      held.push(...buf);
      if (held.length === detachSeq.length) {
        held = [];
        session.detach();
      }
      return;
    }
    if (held.length) { t.write(Buffer.from(held)); held = []; }
    t.write(buf);
  };
  const onEnd = () => {
    if (held.length) { t.write(Buffer.from(held)); held = []; }
    t.endWrite();
  };
  let stdinAttached = false;
  function stopStdin(): void {
    if (!stdinAttached || !opts.stdin) return;
    stdinAttached = false;
    opts.stdin.removeListener('data', onData);
    opts.stdin.removeListener('end', onEnd);
    if (typeof (opts.stdin as any).pause === 'function') (opts.stdin as any).pause();
  }
  if (opts.stdin) {
    stdinAttached = true;
    opts.stdin.on('data', onData);
    opts.stdin.on('end', onEnd);
    if (typeof (opts.stdin as any).resume === 'function') (opts.stdin as any).resume();
  }
  return session;
}
