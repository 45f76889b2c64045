// The in-process secret engine: the secret store (src/engine/secrets) and podman's list filters.
import type { SecretEngine, SecretInfo, SecretCreateOptions } from '../secrets';
import type { DB } from '../../storage/db';
import { SecretStore, SecretRecord } from '../../engine/secrets';
import { PierError, UsageError } from '../../util/errors';
import { dateFromNanos } from '../../util/nanotime';
import { goMap } from '../../util/gomap';

/** The podman shape of a secret (labels included; the data never). */
export function secretInfo(r: SecretRecord): SecretInfo {
  const created = dateFromNanos(r.created);
  return {
    ID: r.id, CreatedAt: created, UpdatedAt: dateFromNanos(r.created),
    Spec: { Name: r.name, Driver: { Name: r.driver, Options: goMap(r.driverOptions) }, Labels: goMap(r.labels) },
  };
}


/** podman's secret filters: name and id, both regular expressions. */
export function compileSecretFilters(filters: string[]): (r: SecretRecord) => boolean {
  const groups = new Map<string, RegExp[]>();
  for (const f of filters) {
    const eq = f.indexOf('=');
    if (eq < 0) throw new UsageError(`filter input must be in the form of filter=value: ${f} is invalid`);
    const key = f.slice(0, eq);
    if (key !== 'name' && key !== 'id') throw new PierError(`invalid filter "${key}"`);
    let re: RegExp;
    try { re = new RegExp(f.slice(eq + 1)); } catch (e: any) { throw new UsageError(`error parsing regexp: ${e.message}`); }
    groups.set(key, [...(groups.get(key) ?? []), re]);
  }
  return (r) => [...groups].every(([k, res]) => res.some((re) => re.test(k === 'name' ? r.name : r.id)));
}

export class LocalSecretEngine implements SecretEngine {
  readonly store: SecretStore;

  constructor(db: DB, graphRoot: string) {
    this.store = new SecretStore(db, graphRoot);
  }

  async create(o: SecretCreateOptions): Promise<string> {
    return this.store.create(o).id;
  }

  async list(filters: string[] = []): Promise<SecretInfo[]> {
    const pred = compileSecretFilters(filters);
    return this.store.list().filter(pred).map(secretInfo);
  }

  async inspect(nameOrId: string): Promise<SecretInfo> {
    return secretInfo(this.store.lookup(nameOrId));
  }

  async remove(nameOrId: string): Promise<string> {
    return this.store.remove(nameOrId).id;
  }

  async data(nameOrId: string): Promise<Buffer> {
    return this.store.data(this.store.lookup(nameOrId));
  }
}
