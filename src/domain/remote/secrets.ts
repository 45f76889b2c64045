// `pier --remote secret ...`: the Libpod API's /libpod/secrets endpoints.
import { Readable } from 'node:stream';
import type { SecretEngine, SecretInfo, SecretCreateOptions } from '../secrets';
import { ApiClient, errorFrom, readText } from './client';
import { q, enc, filters } from './query';
import { PierError, UsageError } from '../../util/errors';
import { dateFromRFC3339 } from '../../util/nanotime';
import { markGoMaps } from '../../util/gomap';

/** The API's times are strings; the CLI formats dates (with their nanoseconds). */
const infoOf = (s: SecretInfo): SecretInfo => ({
  ...s, CreatedAt: dateFromRFC3339(String(s.CreatedAt)), UpdatedAt: dateFromRFC3339(String(s.UpdatedAt)),
  Spec: markGoMaps({ ...s.Spec, Labels: s.Spec.Labels ?? {}, Driver: markGoMaps({ ...s.Spec.Driver }, ['Options']) }, ['Labels']),
});

export class RemoteSecrets implements SecretEngine {
  constructor(private c: ApiClient) {}

  async create(o: SecretCreateOptions): Promise<string> {
    const query = q({
      name: o.name, driver: o.driver,
      driveropts: o.driverOptions && Object.keys(o.driverOptions).length ? JSON.stringify(o.driverOptions) : undefined,
      labels: o.labels && Object.keys(o.labels).length ? JSON.stringify(o.labels) : undefined,
    });
    // The body is the data itself (not form-encoded, which Go's server would consume as a form).
    const res = await this.c.upload('POST', `/libpod/secrets/create${query}`, Readable.from([o.data]), { 'Content-Type': 'application/octet-stream' });
    const text = await readText(res);
    if ((res.statusCode ?? 500) >= 300) throw errorFrom(res.statusCode ?? 500, text);
    return JSON.parse(text).ID;
  }

  async list(f?: string[]): Promise<SecretInfo[]> {
    for (const x of f ?? []) if (!x.includes('=')) throw new UsageError(`filter input must be in the form of filter=value: ${x} is invalid`);
    return (await this.c.json<SecretInfo[]>('GET', `/libpod/secrets/json${q({ filters: filters(f) })}`)).map(infoOf);
  }

  async inspect(nameOrId: string): Promise<SecretInfo> {
    return infoOf(await this.c.json('GET', `/libpod/secrets/${enc(nameOrId)}/json`));
  }

  async remove(nameOrId: string): Promise<string> {
    const id = (await this.inspect(nameOrId)).ID;
    await this.c.json('DELETE', `/libpod/secrets/${enc(nameOrId)}`);
    return id;
  }

  /** The Libpod API (4.3) never answers a secret's data; only the service side reads it. */
  async data(nameOrId: string): Promise<Buffer> {
    throw new PierError(`reading the data of secret ${nameOrId} is not possible through the remote API`);
  }
}
