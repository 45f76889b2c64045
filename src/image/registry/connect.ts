// Building a RegistryClient for a reference from pier's configuration and the usual flags
// (--tls-verify, --creds, --authfile, --cert-dir, --retry), as podman's image commands do.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { EngineConfig } from '../../config/config';
import { UsageError } from '../../util/errors';
import { Credentials, getCredentials, parseCreds } from '../config/auth';
import { isInsecure, loadRegistriesConf } from '../config/registries';
import type { ImageReference } from '../reference';
import { RegistryClient } from './client';

export interface ConnectOptions {
  /** undefined: registries.conf decides; false: allow http and unverified TLS; true: require TLS. */
  tlsVerify?: boolean;
  /** `user:password` (--creds). */
  creds?: string;
  authfile?: string;
  certDir?: string;
  retry?: number;
  retryDelayMs?: number;
  /** Insecure flag of the registries.conf endpoint chosen by the caller (mirrors). */
  insecure?: boolean;
  /** A push session: tokens ask for push access. */
  push?: boolean;
  /** Explicit credentials (login); win over creds/authfile. */
  credentials?: Credentials;
}

/** Certificates for `host` from a directory in containers-certs.d(5) layout: *.crt CAs, *.cert/*.key pairs. */
export function loadCertDir(dir: string): { ca?: Buffer[]; cert?: Buffer; key?: Buffer } | undefined {
  let names: string[];
  try {
    names = fs.readdirSync(dir).sort();
  } catch {
    return undefined;
  }
  const ca: Buffer[] = [];
  let cert: Buffer | undefined;
  let key: Buffer | undefined;
  for (const n of names) {
    const f = path.join(dir, n);
    if (n.endsWith('.crt')) ca.push(fs.readFileSync(f));
    else if (n.endsWith('.cert') && !cert) {
      const keyFile = path.join(dir, n.slice(0, -5) + '.key');
      if (!fs.existsSync(keyFile)) throw new UsageError(`missing key ${path.basename(keyFile)} for client certificate ${n}. Note that CA certificates should use the extension .crt`);
      cert = fs.readFileSync(f);
      key = fs.readFileSync(keyFile);
    }
  }
  if (!ca.length && !cert) return undefined;
  return { ca: ca.length ? ca : undefined, cert, key };
}

/** The certs.d directories consulted for `host` when --cert-dir is not given. */
export function certDirsFor(host: string, home = process.env.HOME || os.homedir()): string[] {
  return [path.join(home, '.config/containers/certs.d', host), path.join('/etc/containers/certs.d', host), path.join('/etc/docker/certs.d', host)];
}

/** Resolve credentials for `registry/repository` from --creds or the auth files. */
export function credentialsFor(target: string, o: ConnectOptions): Credentials | undefined {
  if (o.credentials) return o.credentials;
  if (o.creds) {
    const c = parseCreds(o.creds);
    if (c.password === undefined) throw new UsageError('password for --creds must be given as USERNAME:PASSWORD');
    return { username: c.username, password: c.password };
  }
  return getCredentials(target, { authFile: o.authfile });
}

/** A client for the registry of `ref` with pier's TLS, credential and retry settings. */
export function clientFor(cfg: Pick<EngineConfig, 'registriesConf'> | undefined, ref: ImageReference | string, o: ConnectOptions = {}): RegistryClient {
  const host = typeof ref === 'string' ? ref.split('/')[0] : ref.registry;
  const target = typeof ref === 'string' ? ref : `${ref.registry}/${ref.repository}`;
  let insecure: boolean;
  if (o.tlsVerify === false) insecure = true;
  else if (o.tlsVerify === true) insecure = false;
  else if (o.insecure !== undefined) insecure = o.insecure;
  else insecure = isInsecure(loadRegistriesConf({ path: cfg?.registriesConf }), host);
  let tls;
  if (o.certDir) tls = loadCertDir(o.certDir);
  else for (const d of certDirsFor(host)) if ((tls = loadCertDir(d))) break;
  return new RegistryClient({
    host,
    insecure,
    credentials: credentialsFor(target, o),
    push: o.push,
    retries: o.retry,
    retryDelayMs: o.retryDelayMs,
    tls,
  });
}
