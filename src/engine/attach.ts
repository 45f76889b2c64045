// Attaching to a container (or exec session) through conmon's attach socket.
//
// conmon listens on `<bundle>/attach` (with --full-attach) as an AF_UNIX SOCK_SEQPACKET
// socket. Every packet it sends is one read of the container's output prefixed by a byte
// naming the stream (2 = stdout, 3 = stderr; a tty only uses 2); what the client sends is
// raw stdin; the client shutting down its write side closes the container's stdin.
//
// Node's net module only speaks SOCK_STREAM, so pier reaches the socket through a tiny
// bridge process written in Perl (perl-base is Essential on Debian and present on nearly
// every Linux host): it connects the seqpacket socket and relays packets to its stdout as
// length-prefixed frames ([u32 big-endian length][packet]) and its stdin to the socket. The
// first frame is empty and means "connected". A native `seqpacketConnect(path) → fd` in
// pier's addon can replace the bridge later without changing this module's API.
import { spawn, ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PierError } from '../util/errors';

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

/** Connects to conmon's attach socket and starts relaying; resolves once connected. */
export function attach(opts: AttachOptions): Promise<AttachSession> {
  const detachSeq = parseDetachKeys(opts.detachKeys ?? DEFAULT_DETACH_KEYS);
  const wantStdin = !!opts.stdin;
  let bridge: ChildProcess;
  try {
    bridge = spawn(opts.perl ?? 'perl', ['-e', BRIDGE, opts.dir, opts.socketName ?? 'attach', wantStdin ? '1' : '0'], {
      stdio: [wantStdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    });
  } catch (e: any) {
    return Promise.reject(new PierError(`attach: cannot start the socket bridge: ${e.message}`));
  }

  return new Promise<AttachSession>((resolveConnect, rejectConnect) => {
    let connected = false;
    let detached = false;
    let errText = '';
    let pending: Buffer = Buffer.alloc(0);
    let resolveDone!: (r: AttachResult) => void;
    let rejectDone!: (e: Error) => void;
    const done = new Promise<AttachResult>((res, rej) => { resolveDone = res; rejectDone = rej; });
    // Don't crash on an unobserved rejection; callers see it through `done`.
    done.catch(() => undefined);

    const session: AttachSession = {
      done,
      resize: (h, w) => resizeTerminal(opts.dir, h, w),
      detach: () => {
        detached = true;
        stopStdin();
        bridge.kill('SIGTERM');
      },
    };

    bridge.stderr!.on('data', (d: Buffer) => { errText += d.toString(); });
    bridge.on('error', (e) => {
      if (!connected) rejectConnect(new PierError(`attach: cannot start the socket bridge (perl): ${e.message}`));
      else rejectDone(e);
    });

    const out = bridge.stdout!;
    out.on('data', (chunk: Buffer) => {
      pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      while (pending.length >= 4) {
        const len = pending.readUInt32BE(0);
        if (pending.length < 4 + len) break;
        const packet = pending.subarray(4, 4 + len);
        pending = pending.subarray(4 + len);
        if (!connected) {
          connected = true;
          resolveConnect(session);
          continue;
        }
        if (packet.length === 0) continue;
        const data = packet.subarray(1);
        const dest = packet[0] === STREAM_STDERR ? opts.stderr : opts.stdout;
        if (dest && data.length && dest.write(data) === false) {
          out.pause();
          dest.once('drain', () => out.resume());
        }
      }
    });

    bridge.on('close', (code) => {
      stopStdin();
      if (!connected) {
        rejectConnect(new PierError(`attach: ${errText.trim() || `socket bridge exited with code ${code}`}`));
        return;
      }
      resolveDone({ detached });
    });

    // stdin → bridge, watching for the detach sequence.
    let held: number[] = [];
    const onData = (chunk: Buffer | string) => {
      const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      if (!detachSeq.length) { bridge.stdin!.write(buf); return; }
      const pass: number[] = [];
      for (const b of buf) {
        if (b === detachSeq[held.length]) {
          held.push(b);
          if (held.length === detachSeq.length) {
            if (pass.length) bridge.stdin!.write(Buffer.from(pass));
            held = [];
            session.detach();
            return;
          }
          continue;
        }
        if (held.length) { pass.push(...held); held = []; }
        if (b === detachSeq[0]) held.push(b); else pass.push(b);
      }
      if (pass.length) bridge.stdin!.write(Buffer.from(pass));
    };
    const onEnd = () => {
      if (held.length) { bridge.stdin!.write(Buffer.from(held)); held = []; }
      bridge.stdin!.end();
    };
    let stdinAttached = false;
    function stopStdin(): void {
      if (!stdinAttached || !opts.stdin) return;
      stdinAttached = false;
      opts.stdin.removeListener('data', onData);
      opts.stdin.removeListener('end', onEnd);
      if (typeof (opts.stdin as any).pause === 'function') (opts.stdin as any).pause();
    }
    if (opts.stdin && bridge.stdin) {
      bridge.stdin.on('error', () => undefined); // bridge gone: its close handler reports
      stdinAttached = true;
      opts.stdin.on('data', onData);
      opts.stdin.on('end', onEnd);
      if (typeof (opts.stdin as any).resume === 'function') (opts.stdin as any).resume();
    }
  });
}
