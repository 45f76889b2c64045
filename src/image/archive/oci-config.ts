// A Docker image config as containers/image converts it when an image goes out in OCI format
// (save --format oci-archive / oci-dir, oci: and oci-archive: destinations): decoded into
// the OCI image-spec's Image struct, which drops Docker's extra fields (container_config,
// docker_version, Hostname...), and encoded again by Go's encoding/json: struct field order,
// omitempty, sorted maps, HTML-escaped strings. The new bytes give the image a new ID.
import { goJSON } from '../../cli/format/gojson';

type Obj = Record<string, unknown>;

/** The value of `name` as Go's decoder matches keys: case-insensitively, the last one winning. */
function field(o: unknown, name: string): unknown {
  if (!o || typeof o !== 'object' || Array.isArray(o)) return undefined;
  let v: unknown;
  const lower = name.toLowerCase();
  for (const [k, x] of Object.entries(o as Obj)) if (k === name || k.toLowerCase() === lower) v = x;
  return v;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const strs = (v: unknown): string[] | undefined =>
  Array.isArray(v) && v.length && v.every((x) => typeof x === 'string') ? (v as string[]) : undefined;
const bool = (v: unknown): boolean => v === true;

/** A map[string]struct{} or map[string]string: sorted keys, omitted when empty. */
function map<T>(v: unknown, value: (x: unknown) => T): Map<string, T> | undefined {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return undefined;
  const keys = Object.keys(v as Obj).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (!keys.length) return undefined;
  return new Map(keys.map((k) => [k, value((v as Obj)[k])]));
}

/** An RFC 3339 time as Go re-encodes it (RFC 3339 with nanoseconds, trailing zeros dropped). */
function time(v: unknown): string | undefined {
  if (typeof v !== 'string' || !v) return undefined;
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/i.exec(v);
  if (!m) return v;
  const frac = (m[2] ?? '').slice(0, 9).replace(/0+$/, '');
  return `${m[1]}${frac ? '.' + frac : ''}${m[3].toUpperCase()}`;
}

/** Drops the keys whose value is undefined (Go's omitempty). */
function compact(o: Obj): Obj {
  for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k];
  return o;
}

/** The OCI config bytes containers/image writes for this Docker config. */
export function ociConfigFromDocker(raw: string): string {
  const d = JSON.parse(raw) as unknown;
  const c = field(d, 'config');
  const rootfs = field(d, 'rootfs');
  const history = field(d, 'history');
  const image = compact({
    created: time(field(d, 'created')),
    author: str(field(d, 'author')) || undefined,
    architecture: str(field(d, 'architecture')),
    variant: str(field(d, 'variant')) || undefined,
    os: str(field(d, 'os')),
    'os.version': str(field(d, 'os.version')) || undefined,
    'os.features': strs(field(d, 'os.features')),
    config: compact({
      User: str(field(c, 'User')) || undefined,
      ExposedPorts: map(field(c, 'ExposedPorts'), () => ({})),
      Env: strs(field(c, 'Env')),
      Entrypoint: strs(field(c, 'Entrypoint')),
      Cmd: strs(field(c, 'Cmd')),
      Volumes: map(field(c, 'Volumes'), () => ({})),
      WorkingDir: str(field(c, 'WorkingDir')) || undefined,
      Labels: map(field(c, 'Labels'), str),
      StopSignal: str(field(c, 'StopSignal')) || undefined,
    }),
    rootfs: { type: str(field(rootfs, 'type')), diff_ids: Array.isArray(field(rootfs, 'diff_ids')) ? field(rootfs, 'diff_ids') : null },
    history: Array.isArray(history) && history.length
      ? history.map((h) => compact({
        created: time(field(h, 'created')),
        created_by: str(field(h, 'created_by')) || undefined,
        author: str(field(h, 'author')) || undefined,
        comment: str(field(h, 'comment')) || undefined,
        empty_layer: bool(field(h, 'empty_layer')) || undefined,
      }))
      : undefined,
  });
  return goJSON(image, { escapeHTML: true });
}
