// Docker Engine API: images (list, inspect, history, tag, delete, prune) and /info, over the
// domain's ImageEngine. Pull and import: image-create.ts; push, save, load: image-transfer.ts;
// search and /auth: registry.ts.
import * as fs from 'node:fs';
import * as os from 'node:os';
import type { Router, ApiRequest } from '../router';
import { ApiError } from '../errors';
import { NotFoundError, UsageError, errorMessage } from '../../util/errors';
import { dockerFilters } from './containers';
import { qbool, localContainers } from './common';
import { DOCKER_API_VERSION } from '../router';
import { goMap } from '../../util/gomap';
import { volumePluginSettings } from '../../config/config';

/**
 * Docker's container.Config for an image (GET /images/{name}/json), from the image's OCI config
 * as inspect gives it (as podman's compat API builds it) and its HEALTHCHECK.
 */
function dockerImageConfig(i: Record<string, any>): Record<string, unknown> {
  const c = (i.Config ?? {}) as Record<string, any>;
  const h = i.Healthcheck as Record<string, unknown> | undefined;
  return {
    Hostname: '', Domainname: '', User: c.User ?? '', AttachStdin: false, AttachStdout: false, AttachStderr: false,
    ...(c.ExposedPorts ? { ExposedPorts: goMap(c.ExposedPorts) } : {}),
    Tty: false, OpenStdin: false, StdinOnce: false, Env: c.Env ?? null, Cmd: c.Cmd ?? null,
    ...(h ? { Healthcheck: Object.fromEntries(['Test', 'Interval', 'Timeout', 'StartPeriod', 'Retries'].filter((k) => h[k] !== undefined).map((k) => [k, h[k]])) } : {}),
    Image: '', Volumes: c.Volumes ? goMap(c.Volumes) : null, WorkingDir: c.WorkingDir ?? '', Entrypoint: c.Entrypoint ?? null, OnBuild: null,
    Labels: c.Labels ? goMap(c.Labels) : null, ...(c.StopSignal ? { StopSignal: c.StopSignal } : {}),
  };
}

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

export { registryCreds } from './registry-auth';

/**
 * Docker's reference filter on one name: a pattern (with `*` and `?` globs) for the repository, or
 * for repository:tag when it has a tag, matching the full name or its familiar forms
 * (without `docker.io/library/`, `docker.io/` or `localhost/`).
 */
export function referenceMatcher(pattern: string): (name: string) => boolean {
  const last = pattern.split('/').pop() ?? '';
  const withTag = last.includes(':') || pattern.includes('@');
  const re = new RegExp('^' + pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]') + '$');
  return (name: string) => {
    const repo = name.replace(/:[^:/]*$/, '');
    const forms = [name, name.replace(/^docker\.io\/library\//, ''), name.replace(/^docker\.io\//, ''), name.replace(/^localhost\//, '')];
    return forms.some((f) => re.test(withTag ? f : f.replace(/:[^:/]*$/, ''))) || (!withTag && re.test(repo));
  };
}

export function registerImageRoutes(router: Router): void {
  router.get('/images/json', async (r) => {
    const filters = dockerFilters(r.query.get('filters'));
    // `filter` is API 1.24's reference filter; manifest lists are not images here (as podman's compat list).
    const legacy = r.query.get('filter');
    if (legacy) filters.push(`reference=${legacy}`);
    const rows = await r.engines.images().list({ all: qbool(r, 'all'), filters: [...filters, 'manifest=false'] });
    // As dockerd: with reference filters an image lists only the names that match (docker images NAME
    // shows one row, not one per name of the image).
    const refs = filters.filter((f) => f.startsWith('reference=')).map((f) => referenceMatcher(f.slice('reference='.length)));
    const matching = (names: string[], strip = (n: string) => n) => (refs.length ? names.filter((t) => refs.some((m) => m(strip(t)))) : names);
    // Untagged images: Docker 1.41's placeholders (docker-py and the CLI skip them).
    r.send(200, rows.map((i) => ({ i, tags: matching(i.RepoTags), digests: matching(i.RepoDigests, (d) => d.split('@')[0]) })).map(({ i, tags, digests }) => ({
      Id: `sha256:${i.Id}`, ParentId: i.ParentId ? `sha256:${i.ParentId}` : '', RepoTags: tags.length ? tags : ['<none>:<none>'],
      RepoDigests: digests.length ? digests : ['<none>@<none>'], Created: i.Created, Size: i.Size, SharedSize: -1, VirtualSize: i.VirtualSize,
      Labels: goMap(i.Labels), Containers: i.Containers,
    })));
  });

  router.get('/images/{name*}/json', async (r) => {
    const i = await inspectImage(r, imageName(r));
    r.send(200, {
      Id: `sha256:${i.Id}`, RepoTags: i.RepoTags ?? [], RepoDigests: i.RepoDigests ?? [], Parent: i.Parent ? `sha256:${i.Parent}` : '',
      Comment: i.Comment ?? '', Created: i.Created, Container: '', ContainerConfig: {}, DockerVersion: '', Author: i.Author ?? '',
      Config: dockerImageConfig(i), Architecture: i.Architecture, Os: i.Os, Size: i.Size, VirtualSize: i.VirtualSize ?? i.Size,
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

  router.post('/images/{name*}/tag', async (r) => {
    const repo = r.query.get('repo');
    if (!repo) throw new ApiError(400, 'repo is required');
    const tag = r.query.get('tag') || 'latest';
    if (/^sha256:/.test(tag) || tag.includes('/')) throw new ApiError(400, `invalid tag format: ${tag}`);
    try {
      await r.engines.images().tag(imageName(r), [`${repo}:${tag}`]);
    } catch (e) {
      if (e instanceof NotFoundError) throw new ApiError(404, `No such image: ${imageName(r)}`);
      if (e instanceof UsageError || /invalid|must be|cannot/i.test(errorMessage(e))) throw new ApiError(400, errorMessage(e));
      throw e;
    }
    r.send(201);
  });

  // noprune is accepted: pier never removes an image's untagged parents along with it.
  router.delete('/images/{name*}', async (r) => {
    const name = imageName(r);
    await inspectImage(r, name);
    const rep = await r.engines.images().remove([name], { force: qbool(r, 'force') });
    if (rep.errors.length) throw new ApiError(rep.errors.some((e) => /in use|used by|more than one tag|dependent child/i.test(e)) ? 409 : 500, rep.errors.join('; '));
    r.send(200, [...rep.untagged.map((u) => ({ Untagged: u })), ...rep.deleted.map((d) => ({ Deleted: `sha256:${d}` }))]);
  });

  // filters: dangling=false prunes every unused image (docker image prune -a), until, label.
  router.post('/images/prune', async (r) => {
    const filters = dockerFilters(r.query.get('filters'));
    const dangling = filters.filter((f) => f.startsWith('dangling='));
    const all = dangling.some((f) => /^dangling=(false|0)$/i.test(f));
    const images = r.engines.images();
    const before = new Map((await images.list({ all: true })).map((i) => [i.Id, i.RepoTags]));
    let pruned;
    try {
      pruned = await images.prune({ all, filters: filters.filter((f) => !f.startsWith('dangling=')) });
    } catch (e) {
      if (e instanceof UsageError) throw new ApiError(400, errorMessage(e));
      throw e;
    }
    const deleted = pruned.flatMap((p) => [...(before.get(p.id) ?? []).map((t) => ({ Untagged: t })), { Deleted: `sha256:${p.id}` }]);
    r.send(200, { ImagesDeleted: deleted.length ? deleted : null, SpaceReclaimed: pruned.reduce((n, p) => n + p.size, 0) });
  });

  router.get('/info', async (r) => {
    const rows = await r.engines.containers().list({ all: true });
    const images = await r.engines.images().list({});
    r.send(200, {
      ID: '', Containers: rows.length,
      ContainersRunning: rows.filter((c) => c.State === 'running').length,
      ContainersPaused: rows.filter((c) => c.State === 'paused').length,
      ContainersStopped: rows.filter((c) => c.State !== 'running' && c.State !== 'paused').length,
      Images: images.length, Driver: localContainers(r).store.driver, DriverStatus: [], Plugins: { Volume: ['local', ...Object.keys(volumePluginSettings(r.cfg).volumePlugins ?? {})], Network: ['bridge', 'macvlan'], Log: ['k8s-file', 'none', 'passthrough'] },
      MemoryLimit: true, SwapLimit: true, CpuCfsPeriod: true, CpuCfsQuota: true, IPv4Forwarding: true, Debug: false,
      NFd: 0, NGoroutines: 0, SystemTime: new Date().toISOString(), LoggingDriver: 'k8s-file', CgroupDriver: 'cgroupfs', CgroupVersion: '1',
      KernelVersion: os.release(), ...osRelease(), OSType: 'linux', Architecture: process.arch === 'x64' ? 'x86_64' : process.arch,
      NCPU: os.cpus().length, MemTotal: os.totalmem(), IndexServerAddress: 'https://index.docker.io/v1/', RegistryConfig: {},
      Name: os.hostname(), Labels: [], ExperimentalBuild: false, ServerVersion: PIER_VERSION, DockerRootDir: r.cfg.graphRoot,
      Runtimes: { runc: { path: 'runc' } }, DefaultRuntime: 'runc', SecurityOptions: ['name=seccomp,profile=default'], Warnings: [],
      ApiVersion: DOCKER_API_VERSION,
      // docker info prints `Swarm: inactive` from this; pier has no swarm mode (podman answers the same).
      Swarm: { NodeID: '', NodeAddr: '', LocalNodeState: 'inactive', ControlAvailable: false, Error: '', RemoteManagers: null },
      LiveRestoreEnabled: false,
    });
  });
}

/** Docker's OperatingSystem and OSVersion: /etc/os-release's PRETTY_NAME and VERSION_ID. */
function osRelease(): { OperatingSystem: string; OSVersion: string } {
  let text = '';
  try { text = fs.readFileSync('/etc/os-release', 'utf8'); } catch { /* none */ }
  const get = (k: string) => new RegExp(`^${k}="?([^"\n]*)"?$`, 'm').exec(text)?.[1] ?? '';
  return { OperatingSystem: get('PRETTY_NAME') || 'Linux', OSVersion: get('VERSION_ID') };
}
