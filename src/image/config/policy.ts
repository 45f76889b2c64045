// Signature policy (containers-policy.json(5)): which images may be pulled/used, by transport
// and scope. pier implements insecureAcceptAnything, reject, signedBy (GPG simple signing) and
// sigstoreSigned with a public key (both checked by the puller through image/signature/);
// signedBaseLayer is recognised but refused with a clear error.
//
// Lookup of the file: explicit path (--signature-policy), else $HOME/.config/containers/policy.json,
// else /etc/containers/policy.json. Unlike containers/image, which fails when no policy file
// exists, pier then uses a default policy that accepts everything (documented deviation).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PierError, readFileErrorText } from '../../util/errors';
import { ImageReference, TransportReference, transportString } from '../reference';

export const SYSTEM_POLICY = '/etc/containers/policy.json';

export type RequirementType =
  | 'insecureAcceptAnything'
  | 'reject'
  | 'signedBy'
  | 'sigstoreSigned'
  | 'signedBaseLayer';

export interface Requirement {
  type: RequirementType;
  [k: string]: unknown;
}

export interface Policy {
  /** The file it came from, or undefined for the built-in default. */
  path?: string;
  default: Requirement[];
  transports: Record<string, Record<string, Requirement[]>>;
}

const KNOWN_TYPES: RequirementType[] = ['insecureAcceptAnything', 'reject', 'signedBy', 'sigstoreSigned', 'signedBaseLayer'];

/** The policy used when no policy.json exists: accept anything. */
export function defaultPolicy(): Policy {
  return { default: [{ type: 'insecureAcceptAnything' }], transports: {} };
}

function invalid(file: string, msg: string): PierError {
  return new PierError(`invalid policy in "${file}": ${msg}`);
}

function parseRequirements(v: unknown, file: string, where: string): Requirement[] {
  if (!Array.isArray(v)) throw invalid(file, `${where} must be an array of requirements`);
  if (v.length === 0) throw invalid(file, `No policy requirements in ${where}`);
  return v.map((r) => {
    if (typeof r !== 'object' || r === null || Array.isArray(r)) throw invalid(file, `${where}: a requirement must be an object`);
    const t = (r as Record<string, unknown>).type;
    if (typeof t !== 'string') throw invalid(file, `${where}: requirement has no "type"`);
    if (!KNOWN_TYPES.includes(t as RequirementType)) throw invalid(file, `Unknown policy requirement type "${t}"`);
    if ((t === 'insecureAcceptAnything' || t === 'reject') && Object.keys(r).some((k) => k !== 'type')) {
      throw invalid(file, `Unknown key in "${t}" requirement`);
    }
    if (t === 'signedBy') validateSignedBy(r as Record<string, unknown>, file);
    if (t === 'sigstoreSigned') validateSigstoreSigned(r as Record<string, unknown>, file);
    return r as Requirement;
  });
}

const IDENTITY_KEYS: Record<string, string[]> = {
  matchExact: [], matchRepoDigestOrExact: [], matchRepository: [],
  exactReference: ['dockerReference'], exactRepository: ['dockerRepository'], remapIdentity: ['prefix', 'signedPrefix'],
};

/** The fields of a signedBy requirement, as containers/image checks them when it reads the policy. */
function validateSignedBy(r: Record<string, unknown>, file: string): void {
  for (const k of Object.keys(r)) {
    if (!['type', 'keyType', 'keyPath', 'keyPaths', 'keyData', 'signedIdentity'].includes(k)) throw invalid(file, `Unknown key "${k}"`);
  }
  if (r.keyType !== undefined && !['GPGKeys', 'signedByGPGKeys', 'X509Certificates', 'signedByX509CAs'].includes(String(r.keyType))) {
    throw invalid(file, `Unrecognized keyType value "${String(r.keyType)}"`);
  }
  const sources = ['keyPath', 'keyPaths', 'keyData'].filter((k) => r[k] !== undefined);
  if (sources.length !== 1) {
    throw invalid(file, `Exactly one of keyPath, keyPaths and keyData must be specified, ${sources.length ? 'more than one' : 'none of them'} present`);
  }
  if (r.keyType === undefined) throw invalid(file, 'invalid keyType ""');
  if (r.keyPath !== undefined && typeof r.keyPath !== 'string') throw invalid(file, '"keyPath" must be a string');
  if (r.keyPaths !== undefined && (!Array.isArray(r.keyPaths) || r.keyPaths.some((p) => typeof p !== 'string'))) throw invalid(file, '"keyPaths" must be an array of strings');
  if (r.keyData !== undefined && typeof r.keyData !== 'string') throw invalid(file, '"keyData" must be a base64 string');
  if (r.signedIdentity !== undefined) validateIdentity(r.signedIdentity, file);
}

function validateIdentity(v: unknown, file: string): void {
  const id = v as Record<string, unknown>;
  if (typeof id !== 'object' || id === null || typeof id.type !== 'string') throw invalid(file, '"signedIdentity" must be an object with a "type"');
  const want = IDENTITY_KEYS[id.type];
  if (!want) throw invalid(file, `Unknown policy reference match type "${id.type}"`);
  for (const k of Object.keys(id)) if (k !== 'type' && !want.includes(k)) throw invalid(file, `Unknown key "${k}"`);
  for (const k of want) if (typeof id[k] !== 'string') throw invalid(file, `Key "${k}" missing in a JSON object`);
}

/** sigstoreSigned with a public key (podman 4.3's form): keyPath or keyData, an optional signedIdentity. */
function validateSigstoreSigned(r: Record<string, unknown>, file: string): void {
  for (const k of Object.keys(r)) {
    if (!['type', 'keyPath', 'keyData', 'signedIdentity'].includes(k)) throw invalid(file, `Unknown key "${k}"`);
  }
  if (r.keyPath !== undefined && r.keyData !== undefined) throw invalid(file, 'keyPath and keyData cannot be used simultaneously');
  if (r.keyPath === undefined && r.keyData === undefined) throw invalid(file, 'At least one of keyPath and keyData must be specified');
  if (r.signedIdentity !== undefined) validateIdentity(r.signedIdentity, file);
}

/** Parse policy.json text strictly (unknown top-level keys, empty requirement lists are errors). */
export function parsePolicy(text: string, file = 'policy.json'): Policy {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw invalid(file, (err as Error).message);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw invalid(file, 'expected a JSON object');
  const o = doc as Record<string, unknown>;
  for (const k of Object.keys(o)) if (k !== 'default' && k !== 'transports') throw invalid(file, `Unknown key "${k}"`);
  if (o.default === undefined) throw invalid(file, 'Default policy is missing');
  const policy: Policy = { path: file, default: parseRequirements(o.default, file, 'default'), transports: {} };
  if (o.transports !== undefined) {
    if (typeof o.transports !== 'object' || o.transports === null || Array.isArray(o.transports)) throw invalid(file, '"transports" must be an object');
    for (const [tname, scopes] of Object.entries(o.transports as Record<string, unknown>)) {
      if (typeof scopes !== 'object' || scopes === null || Array.isArray(scopes)) throw invalid(file, `transport "${tname}" must be an object`);
      const out: Record<string, Requirement[]> = {};
      for (const [scope, reqs] of Object.entries(scopes as Record<string, unknown>)) {
        if (tname === 'docker' && scope !== '') validateDockerScope(scope, file);
        out[scope] = parseRequirements(reqs, file, `transports.${tname}["${scope}"]`);
      }
      policy.transports[tname] = out;
    }
  }
  return policy;
}

function validateDockerScope(scope: string, file: string): void {
  if (scope.startsWith('*.')) {
    if (/[/:*]/.test(scope.slice(2))) throw invalid(file, `Invalid scope "${scope}"`);
    return;
  }
  if (scope.includes('*') || /^[a-z]+:\/\//.test(scope)) throw invalid(file, `Invalid scope "${scope}"`);
}

export interface LoadPolicyOptions {
  /** Explicit file (--signature-policy); it must exist. */
  path?: string;
  homeDir?: string;
  /** System file location (default /etc/containers/policy.json). */
  systemPath?: string;
}

/** Load the policy per the lookup order above; no file at all → defaultPolicy(). */
export function loadPolicy(opts: LoadPolicyOptions = {}): Policy {
  const candidates: string[] = [];
  if (opts.path) {
    candidates.push(opts.path);
  } else {
    candidates.push(path.join(opts.homeDir ?? process.env.HOME ?? os.homedir(), '.config/containers/policy.json'));
    candidates.push(opts.systemPath ?? SYSTEM_POLICY);
  }
  for (const file of candidates) {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' && !opts.path) continue;
      // containers/image reports the failed read alone (`open F: no such file or directory`).
      throw new PierError(readFileErrorText(err, file));
    }
    return parsePolicy(text, file);
  }
  return defaultPolicy();
}

/** Scopes for a docker reference, most specific first (identity, repo, namespaces, host, wildcards). */
export function dockerScopes(ref: ImageReference): string[] {
  const out: string[] = [];
  if (ref.tag || ref.digest) {
    // Identity: one of tag or digest (digest wins, as containers/image uses the canonical form).
    out.push(ref.digest ? `${ref.name}@${ref.digest}` : `${ref.name}:${ref.tag}`);
  }
  const parts = ref.repository.split('/');
  for (let i = parts.length; i >= 1; i--) out.push(`${ref.registry}/${parts.slice(0, i).join('/')}`);
  out.push(ref.registry);
  const host = ref.registry.replace(/:\d+$/, '');
  if (!host.startsWith('[') && !/^\d+\.\d+\.\d+\.\d+$/.test(host)) {
    const labels = host.split('.');
    for (let i = 1; i < labels.length; i++) out.push('*.' + labels.slice(i).join('.'));
  }
  return out;
}

/** Scopes for path-based transports: the path, then each parent directory. */
function pathScopes(p: string, image?: string): string[] {
  const abs = path.resolve(p);
  const out: string[] = image ? [`${abs}:${image}`] : [];
  let cur = abs;
  for (;;) {
    out.push(cur);
    const parent = path.dirname(cur);
    if (parent === cur || parent === '/') break;
    cur = parent;
  }
  return out;
}

/** The transport name and scopes (most specific first) policy lookup uses for a reference. */
export function policyScopes(t: TransportReference): { transport: string; scopes: string[] } {
  switch (t.transport) {
    case 'docker':
      return { transport: 'docker', scopes: dockerScopes(t.ref) };
    case 'oci':
    case 'oci-archive':
      return { transport: t.transport, scopes: pathScopes(t.path, t.image) };
    case 'docker-archive':
    case 'dir':
      return { transport: t.transport, scopes: pathScopes(t.path) };
    case 'containers-storage':
      return { transport: t.transport, scopes: [] };
  }
}

/** The requirements that apply: most specific scope of the transport, its "" entry, else default. */
export function requirementsFor(policy: Policy, transport: string, scopes: string[]): Requirement[] {
  const table = policy.transports[transport];
  if (table) {
    for (const s of scopes) if (table[s]) return table[s];
    if (table['']) return table[''];
  }
  return policy.default;
}

/**
 * Check what can be checked of the policy before the image is read. Throws PierError
 * `Source image rejected: Running image docker://busybox:latest is rejected by policy.`
 * for reject, and a clear "not supported" error for signedBaseLayer. Returns the signedBy and
 * sigstoreSigned requirements, which the caller checks against the image's signatures
 * (only docker:// images can have them here).
 */
export function checkPolicy(policy: Policy, t: TransportReference): Requirement[];
export function checkPolicy(policy: Policy, transport: 'docker', ref: ImageReference): Requirement[];
export function checkPolicy(policy: Policy, a: TransportReference | 'docker', b?: ImageReference): Requirement[] {
  const t: TransportReference = typeof a === 'string' ? { transport: 'docker', ref: b as ImageReference } : a;
  const { transport, scopes } = policyScopes(t);
  const reqs = requirementsFor(policy, transport, scopes);
  const signed: Requirement[] = [];
  for (const r of reqs) {
    switch (r.type) {
      case 'insecureAcceptAnything':
        break;
      case 'reject':
        throw new PierError(`Source image rejected: Running image ${transportString(t)} is rejected by policy.`);
      case 'signedBy':
      case 'sigstoreSigned':
        if (t.transport !== 'docker') {
          throw new PierError(`Source image rejected: A signature was required, but no signature exists`);
        }
        signed.push(r);
        break;
      default:
        throw new PierError(`Source image rejected: policy requirement "${r.type}" for ${transportString(t)} is not supported by pier (signature verification is not implemented)`);
    }
  }
  return signed;
}
