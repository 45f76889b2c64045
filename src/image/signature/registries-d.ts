// containers-registries.d(5): where signatures of images of a registry live ("lookaside"
// storage). Every *.yaml file of the directory is read and merged; a namespace (or
// default-docker) defined twice is an error. The directory is $HOME/.config/containers/registries.d
// when it exists, else /etc/containers/registries.d.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { PierError } from '../../util/errors';
import { hostUid } from '../../config/paths';
import { ImageReference } from '../reference';
import { dockerScopes } from '../config/policy';

export const SYSTEM_REGISTRIES_D = '/etc/containers/registries.d';

export interface RegistryNamespace {
  lookaside?: string;
  'lookaside-staging'?: string;
  sigstore?: string;
  'sigstore-staging'?: string;
  /** Read (and write) sigstore signatures as OCI attachments in the registry. */
  'use-sigstore-attachments'?: boolean;
}

export interface RegistriesD {
  dir: string;
  defaultDocker?: RegistryNamespace;
  docker: Record<string, RegistryNamespace>;
}

function home(): string {
  return process.env.HOME || os.homedir();
}

/** The registries.d directory in use: an explicit one, the user's when it exists, else the system's. */
export function registriesDirPath(explicit?: string): string {
  if (explicit) return explicit;
  const user = path.join(home(), '.config/containers/registries.d');
  return fs.existsSync(user) ? user : SYSTEM_REGISTRIES_D;
}

function namespaceOf(v: unknown): RegistryNamespace {
  const out: RegistryNamespace = {};
  if (typeof v !== 'object' || v === null) return out;
  // As a JSON decoder does, keys match case-insensitively and unknown keys are ignored.
  for (const [k, val] of Object.entries(v as Record<string, unknown>)) {
    const key = (['lookaside', 'lookaside-staging', 'sigstore', 'sigstore-staging'] as const).find((n) => n === k.toLowerCase());
    if (key && typeof val === 'string') out[key] = val;
    if (k.toLowerCase() === 'use-sigstore-attachments' && typeof val === 'boolean') out['use-sigstore-attachments'] = val;
  }
  return out;
}

/** Read and merge every *.yaml file of the directory (a missing directory is an empty configuration). */
export function loadRegistriesD(dirPath = registriesDirPath()): RegistriesD {
  const merged: RegistriesD = { dir: dirPath, docker: {} };
  let names: string[];
  try {
    names = fs.readdirSync(dirPath);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return merged;
    throw new PierError(`reading ${dirPath}: ${(e as Error).message}`);
  }
  let defaultFrom = '';
  const nsFrom: Record<string, string> = {};
  for (const name of names.filter((n) => n.endsWith('.yaml'))) {
    const file = path.join(dirPath, name);
    let doc: unknown;
    try {
      doc = parseYaml(fs.readFileSync(file, 'utf8'));
    } catch (e) {
      throw new PierError(`parsing ${file}: ${(e as Error).message.split('\n')[0]}`);
    }
    if (doc === null || doc === undefined) continue;
    if (typeof doc !== 'object' || Array.isArray(doc)) throw new PierError(`parsing ${file}: expected a mapping`);
    const o = doc as Record<string, unknown>;
    if (o['default-docker'] !== undefined && o['default-docker'] !== null) {
      if (merged.defaultDocker) {
        throw new PierError(`Error parsing signature storage configuration: "default-docker" defined both in "${defaultFrom}" and "${file}"`);
      }
      merged.defaultDocker = namespaceOf(o['default-docker']);
      defaultFrom = file;
    }
    const docker = o.docker;
    if (docker && typeof docker === 'object') {
      for (const [ns, v] of Object.entries(docker as Record<string, unknown>)) {
        if (merged.docker[ns]) {
          throw new PierError(`Error parsing signature storage configuration: "docker" namespace "${ns}" defined both in "${nsFrom[ns]}" and "${file}"`);
        }
        merged.docker[ns] = namespaceOf(v);
        nsFrom[ns] = file;
      }
    }
  }
  return merged;
}

function topLevel(ns: RegistryNamespace | undefined, write: boolean): string {
  if (!ns) return '';
  if (write && (ns['lookaside-staging'] || ns['sigstore-staging'])) return (ns['lookaside-staging'] || ns['sigstore-staging'])!;
  return ns.lookaside || ns.sigstore || '';
}

/** Whether sigstore attachments are used for an image: the most specific namespace that says, else default-docker. */
export function useSigstoreAttachments(conf: RegistriesD, ref: ImageReference): boolean {
  for (const scope of dockerScopes(ref)) {
    const v = conf.docker[scope]?.['use-sigstore-attachments'];
    if (v !== undefined) return v;
  }
  return conf.defaultDocker?.['use-sigstore-attachments'] ?? false;
}

/** The configured lookaside location for a scope (as `image trust show` lists it): read location. */
export function lookasideForScope(conf: RegistriesD, scope: string): string {
  let ns: RegistryNamespace | undefined;
  if (scope) {
    let s = scope;
    for (;;) {
      if (conf.docker[s]) { ns = conf.docker[s]; break; }
      const i = s.lastIndexOf('/');
      if (i === -1) break;
      s = s.slice(0, i);
    }
  }
  ns ??= conf.defaultDocker;
  return ns ? (ns.lookaside || ns.sigstore || '') : '';
}

/** The built-in lookaside when nothing is configured: /var/lib/containers/sigstore for root (not a rootless user, uid 0 in its namespace). */
export function builtinLookaside(): string {
  return hostUid() === 0 ? 'file:///var/lib/containers/sigstore' : `file://${path.join(home(), '.local/share/containers/sigstore')}`;
}

/**
 * The lookaside base URL of an image's signatures: the most specific namespace with a location,
 * else default-docker, else the built-in directory; the repository path is appended.
 * With `write`, the -staging location is preferred.
 */
export function lookasideBase(conf: RegistriesD, ref: ImageReference, write: boolean): URL {
  let top = '';
  for (const scope of dockerScopes(ref)) {
    top = topLevel(conf.docker[scope], write);
    if (top) break;
  }
  top ||= topLevel(conf.defaultDocker, write) || builtinLookaside();
  let u: URL;
  try {
    u = new URL(top);
  } catch {
    throw new PierError(`Invalid signature storage URL ${top}`);
  }
  u.pathname = u.pathname.replace(/\/$/, '') + '/' + ref.repository;
  return u;
}

/** The URL of signature number `index` (0-based) of a manifest digest under a lookaside base. */
export function signatureURL(base: URL, manifestDigest: string, index: number): URL {
  const [algo, hex] = manifestDigest.split(':');
  const u = new URL(base.href);
  u.pathname = `${base.pathname}@${algo}=${hex}/signature-${index + 1}`;
  return u;
}
