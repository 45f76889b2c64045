// `image trust show|set`: a user-focused view of policy.json (with the lookaside locations of
// registries.d and the identities of GPG keys) and edits of one scope's requirements, written
// back as podman writes the file (4-space indent, keys sorted, only "default" and "transports").
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PierError, errnoText, readFileErrorText } from '../../util/errors';
import { log } from '../../util/log';
import { SYSTEM_POLICY } from './policy';

/** One entry of `image trust show` (podman's JSON field names and order). */
export interface TrustEntry {
  transport: string;
  name?: string;
  repo_name?: string;
  sigstore?: string;
  type: string;
  gpg_id?: string;
}

/** The policy file `image trust` edits and shows: explicit (--policypath), else the system's. */
export function trustPolicyPath(explicit?: string): string {
  return explicit || SYSTEM_POLICY;
}

const TYPE_DESCRIPTION: Record<string, string> = { insecureAcceptAnything: 'accept', signedBy: 'signed', sigstoreSigned: 'sigstoreSigned', reject: 'reject' };

interface Req { type?: string; keyPath?: string; keyPaths?: string[]; keyData?: string }

/** Go's json.Unmarshal wording for the common failures (not byte-exact for every case). */
function goJSONError(text: string, e: unknown): string {
  if (text.trim() === '') return 'unexpected end of JSON input';
  return (e as Error).message;
}

async function keyIdentities(file: string): Promise<string[]> {
  const { keyFileIdentities } = require('../signature/gpg') as typeof import('../signature/gpg');
  try {
    return await keyFileIdentities(file);
  } catch (e) {
    log.error(`Getting key identity: ${(e as Error).message}`);
    return [];
  }
}

/** `image trust show`: the policy's requirements, default first, then transports and scopes sorted. */
export async function describePolicy(policyPath: string, registriesDir: string): Promise<TrustEntry[]> {
  const text = fs.readFileSync(policyPath, 'utf8');
  let doc: { default?: Req[]; transports?: Record<string, Record<string, Req[]>> };
  try {
    doc = JSON.parse(text);
    if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new Error(`json: cannot unmarshal ${Array.isArray(doc) ? 'array' : typeof doc} into Go value of type trust.policyContent`);
  } catch (e) {
    throw new PierError(`could not show trust policies: could not read trust policies: could not parse trust policies from ${policyPath}: ${goJSONError(text, e)}`);
  }
  const { loadRegistriesD, lookasideForScope } = require('../signature/registries-d') as typeof import('../signature/registries-d');
  let conf;
  try {
    conf = loadRegistriesD(registriesDir);
  } catch (e) {
    throw new PierError(`could not show trust policies: could not show trust policies: ${(e as Error).message.replace(/^Error parsing/, 'error parsing')}`);
  }
  const out: TrustEntry[] = [];
  const describe = async (reqs: Req[], template: Omit<TrustEntry, 'type'>, scope: string) => {
    const store = lookasideForScope(conf, scope);
    for (const r of Array.isArray(reqs) ? reqs : []) {
      const type = TYPE_DESCRIPTION[r.type ?? ''];
      if (type === undefined) log.warn(`Invalid trust type ${r.type ?? ''}`);
      let id = '';
      if (r.type === 'signedBy') {
        const ids: string[] = [];
        if (r.keyPath) ids.push(...await keyIdentities(r.keyPath));
        for (const p of r.keyPaths ?? []) ids.push(...await keyIdentities(p));
        if (r.keyData) {
          const tmp = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'pier-key-')), 'key');
          try {
            fs.writeFileSync(tmp, Buffer.from(r.keyData, 'base64'));
            ids.push(...await keyIdentities(tmp));
          } finally {
            fs.rmSync(path.dirname(tmp), { recursive: true, force: true });
          }
        }
        id = ids.join(', ');
      } else if (r.type === 'sigstoreSigned') {
        id = 'N/A';
      }
      out.push({ ...template, ...(store ? { sigstore: store } : {}), type: type ?? '', ...(id ? { gpg_id: id } : {}) });
    }
  };
  if (Array.isArray(doc.default) && doc.default.length) await describe(doc.default, { transport: 'all', name: '* (default)', repo_name: 'default' }, '');
  const transports = doc.transports ?? {};
  for (const t of Object.keys(transports).sort()) {
    const scopes = transports[t] ?? {};
    for (const s of Object.keys(scopes).sort()) {
      const name = s || undefined;
      await describe(scopes[s], { transport: t === 'docker' ? 'repository' : t, ...(name ? { name, repo_name: name } : {}) }, s);
    }
  }
  return out;
}

/** podman's check of the scope argument (a host-like first part; its quirky message included). */
export function validateTrustScope(scope: string): void {
  const rest = scope.replace(/^[^/?#]*/, '');
  const host = scope.slice(0, scope.length - rest.length);
  const hash = scope.indexOf('#');
  const fragment = hash === -1 ? '' : scope.slice(hash + 1);
  if (!/^[a-zA-Z0-9-_.]+\/?:?[0-9]*[a-z0-9-/:]*$/.test(host) || !/^[a-z0-9-:./]*$/.test(fragment)) {
    throw new PierError(`invalid image uri: ${scope}: %!w(<nil>)`);
  }
}

const TRUST_TYPES = ['accept', 'insecureAcceptAnything', 'reject', 'signedBy', 'sigstoreSigned'];

/** Go's json.Marshal escapes these in strings; the file podman writes has them escaped. */
function goEscape(json: string): string {
  return json.replace(/[<>&\u2028\u2029]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}

/** `image trust set`: replace the requirements of one scope ("default" or a docker scope). */
export function setTrust(policyPath: string, scope: string, type: string, pubKeyFiles: string[]): void {
  validateTrustScope(scope);
  if (!TRUST_TYPES.includes(type)) throw new PierError(`invalid choice: ${type} (choose from 'accept', 'reject', 'signedBy', 'sigstoreSigned')`);
  const trustType = type === 'accept' ? 'insecureAcceptAnything' : type;
  let reqs: Record<string, unknown>[];
  if (trustType === 'insecureAcceptAnything' || trustType === 'reject') {
    if (pubKeyFiles.length) throw new PierError(`${pubKeyFiles.length} public keys unexpectedly provided for trust type ${type}`);
    reqs = [{ type: trustType }];
  } else {
    if (!pubKeyFiles.length) throw new PierError(`at least one public key must be defined for type '${trustType}'`);
    reqs = pubKeyFiles.map((f) => trustType === 'signedBy' ? { type: trustType, keyType: 'GPGKeys', keyPath: f } : { type: trustType, keyPath: f });
  }
  let doc: { default?: unknown; transports?: Record<string, Record<string, unknown>> } = {};
  let text: string | undefined;
  try {
    text = fs.readFileSync(policyPath, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new PierError(readFileErrorText(e, policyPath));
  }
  if (text !== undefined) {
    try {
      const parsed = JSON.parse(text);
      if (parsed !== null && (typeof parsed !== 'object' || Array.isArray(parsed))) throw new Error('not an object');
      // Only the two known fields survive a rewrite (matched case-insensitively, as Go does).
      for (const [k, v] of Object.entries(parsed ?? {})) {
        if (k.toLowerCase() === 'default') doc.default = v;
        else if (k.toLowerCase() === 'transports') doc.transports = v as typeof doc.transports;
      }
    } catch {
      throw new PierError('could not read trust policies');
    }
  }
  const hasDefault = doc.default !== undefined && doc.default !== null && !(Array.isArray(doc.default) && doc.default.length === 0);
  if (scope === 'default') {
    doc.default = reqs;
  } else {
    if (!hasDefault) throw new PierError('default trust policy must be set');
    doc.transports ??= {};
    const owner = Object.keys(doc.transports).find((t) => doc.transports![t] && scope in doc.transports![t]);
    if (owner) doc.transports[owner][scope] = reqs;
    else (doc.transports.docker ??= {})[scope] = reqs;
  }
  const sorted = (o: Record<string, unknown>) => Object.fromEntries(Object.keys(o).sort().map((k) => [k, o[k]]));
  const outDoc: Record<string, unknown> = { default: doc.default ?? null };
  if (doc.transports && Object.keys(doc.transports).length) {
    outDoc.transports = sorted(Object.fromEntries(Object.entries(doc.transports).map(([t, scopes]) => [t, scopes === null ? null : sorted(scopes)])));
  }
  try {
    fs.writeFileSync(policyPath, goEscape(JSON.stringify(outDoc, null, 4)), { mode: 0o644 });
  } catch (e) {
    throw new PierError(`open ${policyPath}: ${errnoText(e)}`);
  }
}
