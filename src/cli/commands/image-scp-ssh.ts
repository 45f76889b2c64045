// `pier image scp` to or from another host: the connection's (or HOST's) ssh destination runs
// `pier image save`/`load` there, and the archive goes over OpenSSH's ssh (the remote's standard
// input or output: no sftp subsystem needed), as podman's scp runs podman over its ssh client. Host keys are checked as ssh does (PIER_SSH_KNOWN_HOSTS names
// another known_hosts file, new hosts accepted into it, as for ssh:// connections).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import type { Ctx } from '../context';
import { PierError } from '../../util/errors';
import { log } from '../../util/log';
import { writeStdout } from '../../util/stdio';
import { forwardedGlobals } from '../self-command';
import { loadTagged, loadedImage, runPier, type ScpLocation } from './image-scp';
import { parseSshUri, sshOptions } from '../../domain/remote/ssh';

interface SshTarget { dest: string; port?: string; identity?: string }

/** HOST as a connection name (its ssh:// URI and identity), else as [USER@]HOST[:PORT] itself, with podman's warning. */
function sshTarget(host: string): SshTarget {
  const { readConnections } = require('../../config/connections') as typeof import('../../config/connections');
  const conn = readConnections().connections[host];
  let uri = conn?.uri;
  if (!uri) {
    log.warn('Unknown connection name given. Please use system connection add to specify the default remote socket location');
    uri = `ssh://${host}`;
  }
  const parts = parseSshUri(uri);
  if (!parts) throw new PierError(`connection ${host} is not an ssh:// destination: ${uri}`);
  return { dest: `${parts.user || os.userInfo().username}@${parts.host}`, port: parts.port, identity: conn?.identity };
}

/**
 * Runs `words` on the remote host (each word quoted for its shell): its standard input the file
 * `input`, its standard output returned, or written to the file `output`.
 */
function ssh(t: SshTarget, words: string[], input?: string, output?: string): string {
  const quote = (w: string) => (/^[A-Za-z0-9_./:=@%+-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`);
  const inFd = input === undefined ? 'ignore' : fs.openSync(input, 'r');
  const outFd = output === undefined ? 'pipe' : fs.openSync(output, 'w', 0o600);
  try {
    const r = spawnSync('ssh', [...sshOptions(t.identity, t.port), t.dest, words.map(quote).join(' ')], { stdio: [inFd, outFd, 'pipe'], maxBuffer: 64 << 20 });
    if (r.error) throw new PierError(`exec: ${r.error.message}`);
    if (r.status !== 0) throw new PierError(`ssh ${t.dest} ${words[0]}: ${String(r.stderr).trim() || `exit status ${r.status}`}`);
    return output === undefined ? String(r.stdout) : '';
  } finally {
    if (typeof inFd === 'number') fs.closeSync(inFd);
    if (typeof outFd === 'number') fs.closeSync(outFd);
  }
}

/** This user's pier, with this command's store options and environment. */
function localPier(ctx: Ctx, argv: string[], capture: boolean): string {
  return runPier(undefined, [...forwardedGlobals(ctx), ...argv], capture, true);
}

/** Loads `file` on the remote host (tagged `tag` if given), printing what its load printed. */
function loadRemote(t: SshTarget, file: string, tag: string | undefined): void {
  const out = ssh(t, ['pier', 'image', 'load'], file).replace(/\n$/, '');
  if (out) writeStdout(`${out}\n`);
  if (tag) ssh(t, ['pier', 'image', 'tag', loadedImage(out), tag]);
}

/** `HOST::IMAGE` to here (or to another host), or an image of here to `HOST::`. */
export async function remoteTransfer(ctx: Ctx, src: ScpLocation, dst: ScpLocation, quiet: boolean): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pier-scp-'));
  const file = path.join(dir, 'image.tar');
  const q = quiet ? ['-q'] : [];
  try {
    if (src.host) {
      const from = sshTarget(src.host);
      const remoteFile = ssh(from, ['mktemp']).trim();
      try {
        ssh(from, ['pier', 'image', 'save', src.image, '--format', 'oci-archive', '--output', remoteFile]);
        ssh(from, ['cat', remoteFile], undefined, file);
      } finally {
        try { ssh(from, ['rm', remoteFile]); } catch (e) { log.error(`Removing file on endpoint: ${(e as Error).message}`); }
      }
      if (dst.host) { loadRemote(sshTarget(dst.host), file, dst.tag); return; }
      loadTagged((argv, capture) => localPier(ctx, argv, capture), file, dst.tag, q);
      return;
    }
    localPier(ctx, ['save', ...q, '--output', file, src.image], false);
    loadRemote(sshTarget(dst.host!), file, dst.tag);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
