// The secret half of the engine's domain interface (the CLI and the API call only this).
import { UsageError } from '../util/errors';

/** `secret inspect` / the Libpod API's SecretInfoReport (podman 4.3's field names and order). */
export interface SecretInfo {
  ID: string;
  /** With nanosecond digits (util/nanotime). */
  CreatedAt: Date;
  UpdatedAt: Date;
  Spec: {
    Name: string;
    Driver: { Name: string; Options: Record<string, string> };
    Labels: Record<string, string>;
  };
}

export interface SecretCreateOptions {
  name: string;
  data: Buffer;
  /** Only `file` (the default). */
  driver?: string;
  driverOptions?: Record<string, string>;
  labels?: Record<string, string>;
}

export interface SecretEngine {
  /** Returns the new secret's id. */
  create(o: SecretCreateOptions): Promise<string>;
  /** Filters `key=value`: name (regex), id (regex); same keys OR'ed, different keys AND'ed. */
  list(filters?: string[]): Promise<SecretInfo[]>;
  /** By name, id or id prefix; NotFoundError when none. */
  inspect(nameOrId: string): Promise<SecretInfo>;
  /** Removes it (containers using it keep their copies); returns its id. */
  remove(nameOrId: string): Promise<string>;
  /** The secret's data, by name, id or id prefix (what engine-side users such as kube play read). */
  data(nameOrId: string): Promise<Buffer>;
}

/** A `--secret` value as parsed: the secret and how the container sees it. */
export interface SecretRequest {
  /** The secret's name or id. */
  source: string;
  /** Default mount: a file at /run/secrets/NAME (or target); env: the variable target (default NAME). */
  type?: 'mount' | 'env';
  target?: string;
  uid?: number;
  gid?: number;
  /** File mode (default 0444). */
  mode?: number;
}

/** podman's parsing of `--secret NAME[,type=mount|env][,target=T][,uid=U][,gid=G][,mode=M]` (errors end ": parsing secret"). */
export function parseSecretFlag(value: string): SecretRequest {
  const fail = (m: string): never => { throw new UsageError(`${m}: parsing secret`); };
  const parts = value.split(',');
  const r: SecretRequest = { source: '' };
  if (!parts[0].includes('=')) r.source = parts.shift()!;
  const id = (k: string, v: string): number => (/^\d+$/.test(v) && Number(v) <= 0xffffffff ? Number(v) : fail(`${k} ${v} invalid`));
  for (const p of parts) {
    const eq = p.indexOf('=');
    const k = eq < 0 ? p : p.slice(0, eq);
    const v = eq < 0 ? '' : p.slice(eq + 1);
    if (eq < 0) fail(`option ${p} invalid`);
    switch (k) {
      case 'source': r.source = v; break;
      case 'type':
        if (v !== 'mount' && v !== 'env') fail(`type ${v} is invalid`);
        r.type = v as 'mount' | 'env';
        break;
      case 'target': r.target = v; break;
      case 'uid': r.uid = id('UID', v); break;
      case 'gid': r.gid = id('GID', v); break;
      case 'mode':
        if (!/^[0-7]+$/.test(v) || parseInt(v, 8) > 0xffffffff) fail(`mode ${v} invalid`);
        r.mode = parseInt(v, 8);
        break;
      default: fail(`option ${p} invalid`);
    }
  }
  if (!r.source) fail(`no source found ${value}`);
  if (r.type === 'env' && (r.uid !== undefined || r.gid !== undefined || r.mode !== undefined)) fail('UID, GID, Mode options cannot be set with secret type env');
  return r;
}
