// The Libpod API's manifest lists, as podman 4.3's v4 endpoints: create (POST {name}, images in
// the query, an optional modify body), exists, inspect ({name}/json), modify (PUT {name}:
// update, remove or annotate), delete, and push ({name}/registry/{destination}: a JSON stream of
// {stream} lines then {Id} or {error} unless quiet). Registry credentials come in X-Registry-Auth.
import type { Router, ApiRequest } from '../router';
import { ApiError } from '../errors';
import { queryBool, schemaBool } from '../query-params';
import type { ManifestAddOptions } from '../../domain/images';
import { errorMessage } from '../../util/errors';
import { registryQuery } from './images';


/** ManifestModifyOptions: the operation, its images and the add/annotate fields (podman's JSON names). */
interface ModifyBody {
  operation?: string;
  images?: string[];
  all?: boolean;
  annotation?: string[];
  arch?: string;
  features?: string[];
  os?: string;
  os_features?: string[];
  os_version?: string;
  variant?: string;
}

function addOptions(r: ApiRequest, b: ModifyBody): ManifestAddOptions {
  return {
    ...registryQuery(r), all: !!b.all, annotations: b.annotation ?? undefined, arch: b.arch || undefined, features: b.features ?? undefined,
    os: b.os || undefined, osVersion: b.os_version || undefined, variant: b.variant || undefined,
  };
}

/** A name that is no manifest list is a 404 for the endpoints that need one (podman looks it up first). */
async function mustBeList(r: ApiRequest, name: string): Promise<void> {
  try {
    if (await r.engines.images().manifestExists(name)) return;
  } catch (e) {
    throw new ApiError(404, errorMessage(e));
  }
  throw new ApiError(404, `${name}: image not known`);
}

export function registerLibpodManifestRoutes(router: Router): void {
  router.post('/libpod/manifests/{name*}/registry/{destination*}', async (r) => {
    const name = r.params.name;
    const format = r.query.get('format');
    const quiet = queryBool(r, 'quiet', true);
    const opts = {
      ...registryQuery(r), all: queryBool(r, 'all'),
      format: format === 'oci' ? 'oci' as const : format === 'v2s2' || format === 'docker' ? 'v2s2' as const : undefined,
    };
    if (format && !opts.format) throw new ApiError(400, `unknown format "${format}". Choose one of the supported formats: 'oci' or 'v2s2'`);
    if (quiet) {
      let digest: string;
      try {
        digest = await r.engines.images().manifestPush(name, r.params.destination, opts);
      } catch (e) {
        throw new ApiError(400, `pushing image "${r.params.destination}": ${errorMessage(e)}`);
      }
      r.send(200, { Id: digest });
      return;
    }
    const res = r.res!;
    res.writeHead(200, { 'Content-Type': 'application/json' });
    const send = (o: unknown) => { if (!res.destroyed) res.write(JSON.stringify(o) + '\n'); };
    try {
      const digest = await r.engines.images().manifestPush(name, r.params.destination, { ...opts, progress: { line: (l: string) => send({ Id: '', stream: l + '\n' }) } });
      send({ Id: digest });
    } catch (e) {
      send({ Id: '', error: errorMessage(e) });
    }
    res.end();
  });

  router.get('/libpod/manifests/{name*}/exists', async (r) => {
    if (!(await r.engines.images().manifestExists(r.params.name))) throw new ApiError(404, 'manifest not found', 'manifest not found');
    r.send(204);
  });

  router.get('/libpod/manifests/{name*}/json', async (r) => {
    let text: string;
    try {
      text = await r.engines.images().manifestInspect(r.params.name);
    } catch (e) {
      throw new ApiError(404, errorMessage(e));
    }
    // The list as inspect shows it (with its annotations: pier's remote client prints the same).
    r.send(200, JSON.parse(text));
  });

  router.post('/libpod/manifests/{name*}', async (r) => {
    const name = r.params.name;
    const images = r.query.getAll('images').concat(r.query.getAll('image'));
    const tls = r.query.get('tlsVerify');
    const id = await r.engines.images().manifestCreate(name, images, {
      all: queryBool(r, 'all'), amend: queryBool(r, 'amend'), ...(tls ? { tlsVerify: schemaBool(r, 'tlsVerify', tls) } : {}),
    });
    const body = (await r.json()) as ModifyBody | undefined;
    if (body?.images?.length) {
      r.send(201, { Id: await r.engines.images().manifestAdd(name, body.images, addOptions(r, body)) });
      return;
    }
    r.send(201, { Id: id });
  });

  router.put('/libpod/manifests/{name*}', async (r) => {
    const name = r.params.name;
    const body = ((await r.json()) ?? {}) as ModifyBody;
    await mustBeList(r, name);
    const report: { Id: string; images?: string[]; errors?: string[] } = { Id: '' };
    const done = (id: string, image: string) => { report.Id = id; (report.images ??= []).push(image); };
    const failed = (e: unknown) => { (report.errors ??= []).push(errorMessage(e)); };
    const images = body.images ?? [];
    switch ((body.operation ?? '').toLowerCase()) {
      case 'update':
        try {
          report.Id = await r.engines.images().manifestAdd(name, images, addOptions(r, body));
          report.images = images;
        } catch (e) { failed(e); }
        break;
      case 'remove':
        for (const image of images) {
          try { done(await r.engines.images().manifestRemove(name, image), image); } catch (e) { failed(e); }
        }
        break;
      case 'annotate':
        for (const image of images) {
          try {
            done(await r.engines.images().manifestAnnotate(name, image, {
              annotations: body.annotation ?? undefined, arch: body.arch || undefined, features: body.features ?? undefined, os: body.os || undefined,
              osFeatures: body.os_features ?? undefined, osVersion: body.os_version || undefined, variant: body.variant || undefined,
            }), image);
          } catch (e) { failed(e); }
        }
        break;
      default:
        throw new ApiError(400, `illegal operation "${body.operation ?? ''}" for "${r.path}"`);
    }
    r.send(report.errors?.length ? (report.images?.length ? 409 : 400) : 200, report);
  });

  router.delete('/libpod/manifests/{name*}', async (r) => {
    await mustBeList(r, r.params.name);
    const report = await r.engines.images().manifestRm([r.params.name]);
    r.send(200, { Deleted: report.deleted, Untagged: report.untagged, Errors: report.errors, ExitCode: report.exitCode });
  });
}
