// Reading Kubernetes YAML as podman 4.3.1's kube play does: the documents split (empty ones
// dropped), each one's kind, then the kinds ordered (everything before the Pods and Deployments,
// which keep their order), and the few fields play uses checked for their types.
import { parseAllDocuments } from 'yaml';
import { PierError } from '../../util/errors';

export type KubeDoc = Record<string, any>;

/**
 * YAML 1.1 as Kubernetes' decoder (sigs.k8s.io/yaml) ends up reading it: octal and `_` numbers as
 * 1.1's, but only true/false spelled out as booleans (y, yes, on, n, no, off keep their text in
 * the string fields where they appear, as `value: yes` does for podman; BOOL_FIELDS turns them
 * into booleans where Kubernetes has a bool), and dates as text.
 */
type YamlTag = { tag?: string; test?: RegExp };
function kubeTags(tags: YamlTag[]): YamlTag[] {
  return tags.filter((t) => t.tag !== 'tag:yaml.org,2002:timestamp').map((t) => {
    if (t.tag !== 'tag:yaml.org,2002:bool' || !t.test) return t;
    return { ...t, test: t.test.test('true') ? /^(?:[Tt]rue|TRUE)$/ : /^(?:[Ff]alse|FALSE)$/ };
  });
}

/** Kubernetes' bool fields that pier reads: there YAML 1.1's other spellings are booleans too. */
const BOOL_FIELDS = new Set(['privileged', 'readOnlyRootFilesystem', 'allowPrivilegeEscalation', 'runAsNonRoot', 'hostNetwork',
  'hostPID', 'hostIPC', 'shareProcessNamespace', 'optional', 'readOnly', 'immutable', 'stdin', 'stdinOnce', 'tty',
  'automountServiceAccountToken', 'enableServiceLinks', 'setHostnameAsFQDN', 'hostUsers']);
const YAML11_BOOL: Record<string, boolean> = Object.fromEntries([
  ...['y', 'Y', 'yes', 'Yes', 'YES', 'on', 'On', 'ON'].map((w) => [w, true]),
  ...['n', 'N', 'no', 'No', 'NO', 'off', 'Off', 'OFF'].map((w) => [w, false]),
]);

function boolFields(v: unknown): void {
  if (Array.isArray(v)) { for (const x of v) boolFields(x); return; }
  if (!v || typeof v !== 'object') return;
  const o = v as Record<string, unknown>;
  for (const [k, x] of Object.entries(o)) {
    if (typeof x === 'string' && BOOL_FIELDS.has(k) && x in YAML11_BOOL) o[k] = YAML11_BOOL[x];
    else boolFields(x);
  }
}

/**
 * A scalar of a Kubernetes string field as its decoder makes it: numbers and booleans become
 * their text (Go's formatting), strings stay, absent stays absent (check the type with expect()).
 */
export function kubeString(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  return typeof v === 'string' ? v : String(v);
}

/** podman's splitMultiDocYAML + sortKubeKinds. */
export function kubeDocuments(text: string): KubeDoc[] {
  let docs;
  try {
    docs = parseAllDocuments(text, { version: '1.1', uniqueKeys: false, customTags: kubeTags as never });
  } catch (e) {
    throw new PierError(`multi doc yaml could not be split: ${(e as Error).message.split('\n')[0]}`);
  }
  const list = Array.isArray(docs) ? docs : [docs];
  const out: KubeDoc[] = [];
  for (const d of list) {
    if (d.errors.length) {
      // Go yaml's wording: `yaml: line N: what`.
      const err = d.errors[0];
      const what = err.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
      throw new PierError(`multi doc yaml could not be split: yaml: ${err.linePos ? `line ${err.linePos[0].line}: ` : ''}${what}`);
    }
    const v = d.toJS({ maxAliasCount: 100 });
    if (v === null || v === undefined) continue;
    boolFields(v);
    if (typeof v !== 'object' || Array.isArray(v)) throw new PierError(`unable to sort kube kinds: json: cannot unmarshal ${Array.isArray(v) ? 'array' : goType(v)} into Go value of type v1.ObjectReference`);
    out.push(v as KubeDoc);
  }
  let sorted: KubeDoc[] = [];
  for (const d of out) {
    const kind = d.kind;
    if (kind !== undefined && typeof kind !== 'string') throw new PierError(`unable to sort kube kinds: json: cannot unmarshal ${goType(kind)} into Go struct field ObjectReference.kind of type string`);
    if (kind === 'Pod' || kind === 'Deployment') sorted.push(d);
    else sorted = [d, ...sorted];
  }
  return sorted;
}

/** The JSON type name encoding/json names in its errors. */
export function goType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'object') return 'object';
  if (typeof v === 'boolean') return 'bool';
  return typeof v;
}

/**
 * Checks a value against the Go type of a Kubernetes field as encoding/json does on unmarshal
 * (what podman's ghodss/yaml decode reports): `field` is the Go struct path (EnvVar.value).
 * Scalars pass for string fields (kubeString gives their text).
 */
export function expect(v: unknown, type: 'string' | 'number' | 'boolean' | 'object' | 'array', field: string, goTypeName: string, what: string): void {
  if (v === undefined || v === null) return;
  const t = goType(v);
  // A string field takes any scalar: the decoder writes numbers and booleans as their text.
  if (type === 'string' && (t === 'number' || t === 'bool')) return;
  if (t !== (type === 'boolean' ? 'bool' : type)) {
    throw new PierError(`unable to read YAML as ${what}: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal ${t} into Go struct field ${field} of type ${goTypeName}`);
  }
}

const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL: Record<string, number> = { n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };

/** A Kubernetes quantity (128Mi, 1.5, 500m, 1e3) as a number; an error as resource.ParseQuantity's. */
export function parseQuantity(q: unknown): number {
  const s = typeof q === 'number' ? String(q) : String(q ?? '');
  const m = /^([+-]?[0-9.]+)(?:(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)|[eE]([+-]?[0-9]+))?$/.exec(s.trim());
  if (!m || !/^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)$/.test(m[1])) throw new PierError(`quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`);
  const n = Number(m[1]);
  if (m[3] !== undefined) return n * 10 ** Number(m[3]);
  const suffix = m[2] ?? '';
  return n * (BINARY[suffix] ?? DECIMAL[suffix]);
}
