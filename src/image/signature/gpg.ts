// GnuPG as the signing mechanism of "simple signing" (containers-signature(5)): signing with a
// key of the user's keyring (GNUPGHOME), and verification against only the keys a policy names,
// imported into a throwaway keyring. pier runs the `gpg` binary; it reads its status lines
// (--status-fd) rather than its human messages.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PierError } from '../../util/errors';

export const GPG_BIN = process.env.PIER_GPG ?? 'gpg';

interface GpgResult { code: number; stdout: Buffer; stderr: string; status: string[] }

/** Run gpg with status lines on fd 3 (kept apart from the payload on stdout). */
function runGpg(args: string[], input?: Buffer, env?: NodeJS.ProcessEnv): Promise<GpgResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(GPG_BIN, ['--batch', '--no-tty', '--status-fd', '3', ...args], {
      stdio: ['pipe', 'pipe', 'pipe', 'pipe'], env: env ?? process.env,
    });
    const out: Buffer[] = [];
    const status: Buffer[] = [];
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => out.push(d));
    child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
    (child.stdio[3] as NodeJS.ReadableStream).on('data', (d: Buffer) => status.push(d));
    child.on('error', (e: NodeJS.ErrnoException) => {
      reject(new PierError(e.code === 'ENOENT' ? `initializing GPG: exec: "${GPG_BIN}": executable file not found in $PATH` : `running ${GPG_BIN}: ${e.message}`));
    });
    child.on('close', (code) => resolve({
      code: code ?? 1, stdout: Buffer.concat(out), stderr,
      status: Buffer.concat(status).toString().split('\n').filter((l) => l.startsWith('[GNUPG:] ')).map((l) => l.slice(9)),
    }));
    child.stdin!.on('error', () => undefined);
    child.stdin!.end(input ?? Buffer.alloc(0));
  });
}

/** gpg's last meaningful stderr line, for error messages. */
function gpgComplaint(r: GpgResult): string {
  const lines = r.stderr.split('\n').map((l) => l.replace(/^gpg: /, '').trim()).filter(Boolean);
  return lines[lines.length - 1] ?? `gpg exited with status ${r.code}`;
}

/**
 * Sign `payload` with the key `keyIdentity` (a fingerprint, key ID or user ID) of the user's
 * keyring: an OpenPGP message with the payload inside (not detached, not armored), as
 * containers/image's GPG mechanism makes.
 */
export async function gpgSign(payload: Buffer, keyIdentity: string, passphrase?: string): Promise<Buffer> {
  const args = ['--sign', '--local-user', keyIdentity, '--output', '-'];
  if (passphrase !== undefined) {
    // The passphrase goes first on stdin (fd 0), then the payload is read from a temp file.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pier-sign-'));
    try {
      const file = path.join(dir, 'payload');
      fs.writeFileSync(file, payload);
      const r = await runGpg(['--pinentry-mode', 'loopback', '--passphrase-fd', '0', ...args, file], Buffer.from(passphrase + '\n'));
      return signResult(r, keyIdentity);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  return signResult(await runGpg(args, payload), keyIdentity);
}

function signResult(r: GpgResult, keyIdentity: string): Buffer {
  if (r.code !== 0 || !r.status.some((l) => l.startsWith('SIG_CREATED '))) {
    // INV_SGNR 9: no secret key (containers/image's wording for a key it cannot find).
    if (r.status.some((l) => /^INV_SGNR (0|9) /.test(l))) throw new PierError(`key ${JSON.stringify(keyIdentity)} not found`);
    // gpgme's reason alone, as containers/image reports it ("Bad passphrase").
    throw new PierError(gpgComplaint(r).replace(/^signing failed: /, ''));
  }
  return r.stdout;
}

/** Whether gpg can sign at all (the binary runs). */
export async function gpgAvailable(): Promise<void> {
  await runGpg(['--version']);
}

export interface Verified {
  /** The signed payload. */
  payload: Buffer;
  /** The fingerprint of the key that made the signature (its primary key's). */
  fingerprint: string;
}

/**
 * A keyring of its own (a temporary GNUPGHOME) holding only the keys it was given: what a
 * policy requirement trusts. close() removes it.
 */
export class EphemeralKeyring {
  private constructor(readonly home: string, readonly fingerprints: string[]) {}

  /** Import the keys (binary or armored OpenPGP key data); returns the ring and the imported keys' fingerprints. */
  static async create(keys: Buffer[]): Promise<EphemeralKeyring> {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'pier-gpg-'));
    fs.chmodSync(home, 0o700);
    const fprs: string[] = [];
    try {
      for (const k of keys) {
        const r = await runGpg(['--homedir', home, '--no-autostart', '--import'], k);
        for (const l of r.status) {
          const m = /^IMPORT_OK \d+ ([0-9A-F]+)/.exec(l);
          if (m && !fprs.includes(m[1])) fprs.push(m[1]);
        }
      }
    } catch (e) {
      fs.rmSync(home, { recursive: true, force: true });
      throw e;
    }
    return new EphemeralKeyring(home, fprs);
  }

  /** Verify a signature; throws PierError("Invalid GPG signature: ...") when it does not verify. */
  async verify(signature: Buffer): Promise<Verified> {
    const out = path.join(this.home, `payload-${process.pid}-${Date.now()}`);
    try {
      const r = await runGpg(['--homedir', this.home, '--no-autostart', '--trust-model', 'always', '--yes', '--output', out, '--decrypt'], signature);
      const valid = r.status.filter((l) => l.startsWith('VALIDSIG '));
      const sigs = r.status.filter((l) => /^(GOODSIG|BADSIG|EXPSIG|EXPKEYSIG|REVKEYSIG|ERRSIG) /.test(l));
      if (sigs.length > 1) throw new PierError(`Invalid GPG signature: Unexpected GPG signature count ${sigs.length}`);
      if (r.code !== 0 || valid.length !== 1 || !sigs[0]?.startsWith('GOODSIG ')) {
        throw new PierError(`Invalid GPG signature: ${describeFailure(r)}`);
      }
      const f = valid[0].split(' ');
      // VALIDSIG <signing key fpr> <date> <ts> <expire> <ver> <res> <pk algo> <hash algo> <class> <primary fpr>
      const fingerprint = f[10] ?? f[1];
      return { payload: fs.readFileSync(out), fingerprint };
    } finally {
      fs.rmSync(out, { force: true });
    }
  }

  close(): void {
    fs.rmSync(this.home, { recursive: true, force: true });
  }
}

function describeFailure(r: GpgResult): string {
  for (const l of r.status) {
    const f = l.split(' ');
    if (f[0] === 'ERRSIG') return f[6] === '9' ? `signed by unknown key ${f[1]} (No public key)` : `signature by key ${f[1]} could not be checked (error ${f[6]})`;
    if (f[0] === 'BADSIG') return `bad signature by key ${f[1]}`;
    if (f[0] === 'EXPSIG') return `expired signature by key ${f[1]}`;
    if (f[0] === 'EXPKEYSIG') return `signature by expired key ${f[1]}`;
    if (f[0] === 'REVKEYSIG') return `signature by revoked key ${f[1]}`;
    if (f[0] === 'NODATA') return 'no signature found (No data)';
  }
  return gpgComplaint(r);
}

/** User IDs' e-mail addresses (or whole IDs) of the keys in a key file, as `image trust show` lists them. */
export async function keyFileIdentities(file: string): Promise<string[]> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'pier-gpg-'));
  try {
    const r = await runGpg(['--homedir', home, '--no-autostart', '--with-colons', '--show-keys', file]);
    const ids: string[] = [];
    for (const line of r.stdout.toString().split('\n')) {
      if (!line.startsWith('uid:') && !line.startsWith('pub:')) continue;
      const uid = line.split(':')[9] ?? '';
      if (!uid) continue;
      const m = /<([^>]*)>/.exec(uid);
      ids.push(m ? m[1] : uid);
    }
    return ids;
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
}
