// search: a registry's v2 catalog filtered by the search term (the v2 API has no search
// endpoint; podman falls back to the catalog the same way), or a repository's tags.
import type { EngineConfig } from '../config/config';
import type { SearchResult } from '../domain/images';
import { loadRegistriesConf } from './config/registries';
import { clientFor } from './registry/connect';
import { PierError, UsageError, errorMessage } from '../util/errors';

export interface SearchOptions {
  limit?: number;
  tlsVerify?: boolean;
  filters?: string[];
  listTags?: boolean;
  authfile?: string;
  creds?: string;
}

function splitTerm(term: string): { registry?: string; query: string } {
  const slash = term.indexOf('/');
  if (slash > 0) {
    const head = term.slice(0, slash);
    if (head.includes('.') || head.includes(':') || head === 'localhost') return { registry: head, query: term.slice(slash + 1) };
  }
  return { query: term };
}

export async function search(cfg: EngineConfig, term: string, o: SearchOptions): Promise<SearchResult[]> {
  const { registry, query } = splitTerm(term.replace(/^docker:\/\//, ''));
  const registries = registry ? [registry] : loadRegistriesConf({ path: cfg.registriesConf }).unqualifiedSearchRegistries;
  if (!registries.length) throw new PierError('no registries to search: specify a registry in the search term or configure unqualified-search-registries');
  const limit = o.limit && o.limit > 0 ? o.limit : o.listTags ? Infinity : 25;
  for (const f of o.filters ?? []) {
    if (!/^(stars|is-automated|is-official)=/.test(f)) throw new UsageError(`invalid filter type "${f.split('=')[0]}"`);
  }
  const out: SearchResult[] = [];
  const errors: string[] = [];
  for (const reg of registries) {
    const client = clientFor(cfg, reg, { tlsVerify: o.tlsVerify, authfile: o.authfile, creds: o.creds });
    try {
      if (o.listTags) {
        if (!registry) throw new UsageError('listing tags requires a fully-qualified image name');
        for (const tag of (await client.listTags(query)).slice(0, limit)) {
          out.push({ Index: reg, Name: `${reg}/${query}`, Description: '', Stars: 0, Official: '', Automated: '', Tag: tag });
        }
        continue;
      }
      const repos = await client.catalog();
      for (const r of repos) {
        if (!r.includes(query)) continue;
        out.push({ Index: reg, Name: `${reg}/${r}`, Description: '', Stars: 0, Official: '', Automated: '' });
        if (out.length >= limit) break;
      }
    } catch (e) {
      if (e instanceof UsageError) throw e;
      errors.push(`couldn't search registry "${reg}": ${errorMessage(e)}`);
    }
  }
  if (!out.length && errors.length) throw new PierError(errors.join('; '));
  return out.filter((r) => (o.filters ?? []).every((f) => {
    const [k, v] = f.split('=');
    if (k === 'stars') return r.Stars >= parseInt(v, 10);
    if (k === 'is-official') return (v === 'true') === (r.Official === '[OK]');
    return (v === 'true') === (r.Automated === '[OK]');
  }));
}
