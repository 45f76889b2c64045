// systemd's end of sd_notify for tests: a unix datagram socket (Node cannot receive datagrams)
// whose messages a python3 child writes to a file.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A unix datagram socket standing in for systemd's: each message a JSON string on a line of a file. */
export class NotifyListener {
  private readonly out: string;
  private readonly child: ChildProcess;
  /** `address`: an absolute path or `@name` (abstract); what it receives goes to a file in `dir`. */
  constructor(readonly address: string, dir: string) {
    this.out = path.join(dir, `received-${path.basename(address).replace(/^@/, '')}-${Date.now()}`);
    const script = [
      'import json, os, socket, sys',
      'a = sys.argv[1]',
      's = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)',
      // A path binds from its directory: one longer than sun_path's 108 bytes works too.
      "if a.startswith('@'): s.bind('\\0' + a[1:])",
      'else: os.chdir(os.path.dirname(a)); s.bind(os.path.basename(a))',
      "f = open(sys.argv[2] + '.tmp', 'w'); os.rename(sys.argv[2] + '.tmp', sys.argv[2])",
      'while True:',
      "    f.write(json.dumps(s.recv(65536).decode()) + '\\n'); f.flush()",
    ].join('\n');
    this.child = spawn('/usr/bin/python3', ['-c', script, address, this.out], { stdio: 'ignore' });
  }
  /** Resolves once the socket is bound. */
  async ready(): Promise<this> {
    for (let i = 0; !fs.existsSync(this.out); i++) {
      assert.ok(i < 200 && this.child.exitCode === null, 'the listener did not start');
      await sleep(25);
    }
    return this;
  }
  messages(): string[] {
    return fs.readFileSync(this.out, 'utf8').split('\n').filter((l) => l).map((l) => JSON.parse(l) as string);
  }
  /** The messages once there are `n` (failing after 10 s). */
  async wait(n: number): Promise<string[]> {
    for (let i = 0; this.messages().length < n; i++) {
      assert.ok(i < 400, `waited for ${n} messages, got ${JSON.stringify(this.messages())}`);
      await sleep(25);
    }
    return this.messages();
  }
  close(): void {
    this.child.kill('SIGKILL');
    if (!this.address.startsWith('@')) fs.rmSync(this.address, { force: true });
  }
}

