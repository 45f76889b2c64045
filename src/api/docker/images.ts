// Docker Engine API: images (list, inspect, pull through /images/create with the JSON progress
// stream, tag, delete) and /info, over the domain's ImageEngine.
import * as os from 'node:os';
import type { Router, ApiRequest } from '../router';
import { ApiError } from '../errors';
import { NotFoundError, errorMessage } from '../../util/errors';
import { dockerFilters } from './containers';
import { DOCKER_API_VERSION } from '../router';

function imageName(r: ApiRequest): string {
  return r.params.name.replace(/^sha256:/, '');
}

async function inspectImage(r: ApiRequest, name: string): Promise<any> {
  try {
    return await r.engines.images().inspect(name);
  } catch (e) {
    if (e instanceof NotFoundError) throw new ApiError(404, `No such image: ${name}`);
    throw e;
  }
}

/** Registry credentials from the X-Registry-Auth header (base64url JSON), as `user:pass`. */
export function registryCreds(r: ApiRequest): string | undefined {
  const h = r.req.headers['x-registry-auth'];
  if (!h || Array.isArray(h)) return undefined;
  try {
    const a = JSON.parse(Buffer.from(h.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8'));
    if (a?.username) return `${a.username}:${a.password ?? ''}`;
  } catch { /* no usable credentials */ }
  return undefined;
}

export function registerImageRoutes(router: Router): void {
  router.get('/images/json', async (r) => {
    const rows = await r.engines.images().list({ all: r.query.get('all') === '1' || r.query.get('all') === 'true', filters: dockerFilters(r.query.get('filters')) });
    r.send(200, rows.map((i) => ({
      Id: `sha256:${i.Id}`, ParentId: i.ParentId ? `sha256:${i.ParentId}` : '', RepoTags: i.RepoTags.length ? i.RepoTags : null,
      RepoDigests: i.RepoDigests, Created: i.Created, Size: i.Size, SharedSize: -1, VirtualSize: i.VirtualSize,
      Labels: i.Labels ?? {}, Containers: i.Containers,
    })));
  });

  router.get('/images/{name*}/json', async (r) => {
    const i = await inspectImage(r, imageName(r));
    r.send(200, {
      Id: `sha256:${i.Id}`, RepoTags: i.RepoTags ?? [], RepoDigests: i.RepoDigests ?? [], Parent: i.Parent ? `sha256:${i.Parent}` : '',
      Comment: i.Comment ?? '', Created: i.Created, Container: '', ContainerConfig: {}, DockerVersion: '', Author: i.Author ?? '',
      Config: i.Config ?? {}, Architecture: i.Architecture, Os: i.Os, Size: i.Size, VirtualSize: i.VirtualSize ?? i.Size,
      GraphDriver: i.GraphDriver ?? { Name: 'overlay', Data: {} }, RootFS: i.RootFS ?? { Type: 'layers', Layers: [] }, Metadata: { LastTagTime: '0001-01-01T00:00:00Z' },
    });
  });

  router.get('/images/{name*}/history', async (r) => {
    try {
      const h = await r.engines.images().history(imageName(r));
      r.send(200, h.map((e) => ({ Id: e.id === '<missing>' ? '<missing>' : `sha256:${e.id}`, Created: e.created, CreatedBy: e.createdBy, Tags: e.tags, Size: e.size, Comment: e.comment })));
    } catch (e) {
      if (e instanceof NotFoundError) throw new ApiError(404, `No such image: ${imageName(r)}`);
      throw e;
    }
  });

  router.post('/images/create', async (r) => {
    const from = r.query.get('fromImage');
    if (!from) throw new ApiError(400, 'fromImage is required (importing with fromSrc is not supported)');
    const tag = r.query.get('tag');
    const ref = tag ? (tag.startsWith('sha256:') ? `${from}@${tag}` : `${from}:${tag}`) : from;
    const res = r.res!;
    res.writeHead(200, { 'Content-Type': 'application/json' });
    const send = (o: unknown) => { if (!res.destroyed) res.write(JSON.stringify(o) + '\n'); };
    send({ status: `Trying to pull ${ref}...` });
    try {
      const ids = await r.engines.images().pull(ref, {
        creds: registryCreds(r),
        // Docker treats registries on the loopback network as insecure (plain HTTP allowed).
        tlsVerify: /^(localhost|127\.\d+\.\d+\.\d+)(:\d+)?\//.test(ref) ? false : undefined,
        progress: {
          line: (l: string) => {
            const m = /^Copying blob ([0-9a-f]{12})/.exec(l.replace(/sha256:/, ''));
            if (m) send({ status: 'Pulling fs layer', progressDetail: {}, id: m[1] });
            else send({ status: l });
          },
        },
      });
      send({ status: `Digest: sha256:${ids[0]}` });
      send({ status: `Status: Downloaded newer image for ${ref}` });
    } catch (e) {
      send({ errorDetail: { message: errorMessage(e) }, error: errorMessage(e) });
    }
    res.end();
  });

  router.post('/images/{name*}/tag', async (r) => {
    const repo = r.query.get('repo');
    if (!repo) throw new ApiError(400, 'repo is required');
    const tag = r.query.get('tag') || 'latest';
    try {
      await r.engines.images().tag(imageName(r), [`${repo}:${tag}`]);
    } catch (e) {
      if (e instanceof NotFoundError) throw new ApiError(404, `No such image: ${imageName(r)}`);
      throw e;
    }
    r.send(201);
  });

  router.delete('/images/{name*}', async (r) => {
    const name = imageName(r);
    await inspectImage(r, name);
    const rep = await r.engines.images().remove([name], { force: r.query.get('force') === '1' || r.query.get('force') === 'true' });
    if (rep.errors.length) throw new ApiError(rep.errors.some((e) => /in use|used by/i.test(e)) ? 409 : 500, rep.errors.join('; '));
    r.send(200, [...rep.untagged.map((u) => ({ Untagged: u })), ...rep.deleted.map((d) => ({ Deleted: `sha256:${d}` }))]);
  });

  router.get('/info', async (r) => {
    const rows = await r.engines.containers().list({ all: true });
    const images = await r.engines.images().list({});
    r.send(200, {
      ID: '', Containers: rows.length,
      ContainersRunning: rows.filter((c) => c.State === 'running').length,
      ContainersPaused: rows.filter((c) => c.State === 'paused').length,
      ContainersStopped: rows.filter((c) => c.State !== 'running' && c.State !== 'paused').length,
      Images: images.length, Driver: r.cfg.storageDriver ?? 'overlay', DriverStatus: [], Plugins: { Volume: ['local'], Network: ['bridge', 'macvlan'], Log: ['k8s-file', 'none', 'passthrough'] },
      MemoryLimit: true, SwapLimit: true, CpuCfsPeriod: true, CpuCfsQuota: true, IPv4Forwarding: true, Debug: false,
      NFd: 0, NGoroutines: 0, SystemTime: new Date().toISOString(), LoggingDriver: 'k8s-file', CgroupDriver: 'cgroupfs', CgroupVersion: '1',
      KernelVersion: os.release(), OperatingSystem: 'Debian GNU/Linux 12 (bookworm)', OSVersion: '12', OSType: 'linux', Architecture: process.arch === 'x64' ? 'x86_64' : process.arch,
      NCPU: os.cpus().length, MemTotal: os.totalmem(), IndexServerAddress: 'https://index.docker.io/v1/', RegistryConfig: {},
      Name: os.hostname(), Labels: [], ExperimentalBuild: false, ServerVersion: PIER_VERSION, DockerRootDir: r.cfg.graphRoot,
      Runtimes: { runc: { path: 'runc' } }, DefaultRuntime: 'runc', SecurityOptions: ['name=seccomp,profile=default'], Warnings: [],
      ApiVersion: DOCKER_API_VERSION,
    });
  });
}
