// ssh://[user@]host[:port][/path/to/pier.sock]: OpenSSH forwards a private local unix socket to
// the service's socket on the remote host (`ssh -N -L local.sock:remote.sock`), for the lifetime
// of the command. Host keys are checked as ssh does (known_hosts; PIER_SSH_KNOWN_HOSTS names
// another file, new hosts are accepted into it).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { PierError } from '../../util/errors';

export interface Tunnel {
  socket: string;
  close(): void;
}

/** ssh://[user@]host[:port][/path]'s parts, or undefined for another form. */
export function parseSshUri(uri: string): { user?: string; host: string; port?: string; path?: string } | undefined {
  const m = /^ssh:\/\/(?:([^@/]+)@)?([^:/]+)(?::(\d+))?(\/.*)?$/.exec(uri);
  return m ? { user: m[1], host: m[2], port: m[3], path: m[4] } : undefined;
}

/** OpenSSH's options for pier's connections: no prompts, PIER_SSH_KNOWN_HOSTS, the identity and port. */
export function sshOptions(identity?: string, port?: string): string[] {
  const known = process.env.PIER_SSH_KNOWN_HOSTS;
  return ['-o', 'BatchMode=yes', ...(known ? ['-o', `UserKnownHostsFile=${known}`, '-o', 'StrictHostKeyChecking=accept-new'] : []),
    ...(identity ? ['-i', identity] : []), ...(port ? ['-p', port] : [])];
}

export async function openSshTunnel(uri: string, identity?: string): Promise<Tunnel> {
  const parts = parseSshUri(uri);
  if (!parts) throw new PierError(`invalid ssh URI ${uri}`);
  const { user, host, port, path: remotePath } = parts;
  const remote = remotePath && remotePath !== '/' ? remotePath : (user && user !== 'root' ? '/run/user/1000/pier/pier.sock' : '/run/pier/pier.sock');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pier-ssh-'));
  const local = path.join(dir, 'pier.sock');
  const args = ['-N', ...sshOptions(identity, port), '-o', 'ExitOnForwardFailure=yes', '-o', 'StreamLocalBindUnlink=yes',
    '-L', `${local}:${remote}`, user ? `${user}@${host}` : host];
  const child = spawn('ssh', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  const close = () => { if (child.exitCode === null) child.kill(); fs.rmSync(dir, { recursive: true, force: true }); };
  process.once('exit', close);
  const deadline = Date.now() + 15_000;
  while (!fs.existsSync(local)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      close();
      throw new PierError(`ssh connection to ${uri} failed: ${err.trim() || 'timed out'}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  return { socket: local, close };
}
