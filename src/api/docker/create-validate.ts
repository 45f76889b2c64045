// Type checks for a Docker create body, as Docker's JSON decoding does them: a wrong type is a 400
// naming the field, before anything is created.
import { ApiError } from '../errors';

type Kind = 'string' | 'number' | 'boolean' | 'object' | 'strings' | 'strOrStrings' | 'array';

const CONFIG: Record<string, Kind> = {
  Image: 'string', Hostname: 'string', Domainname: 'string', User: 'string', WorkingDir: 'string', StopSignal: 'string', MacAddress: 'string',
  AttachStdin: 'boolean', AttachStdout: 'boolean', AttachStderr: 'boolean', Tty: 'boolean', OpenStdin: 'boolean', StdinOnce: 'boolean', NetworkDisabled: 'boolean',
  StopTimeout: 'number', Env: 'strings', Cmd: 'strOrStrings', Entrypoint: 'strOrStrings', Shell: 'strings', OnBuild: 'strings',
  Labels: 'object', ExposedPorts: 'object', Volumes: 'object', Healthcheck: 'object', HostConfig: 'object', NetworkingConfig: 'object',
};

const HOST_CONFIG: Record<string, Kind> = {
  Binds: 'strings', Links: 'strings', VolumesFrom: 'strings', CapAdd: 'strings', CapDrop: 'strings', Dns: 'strings', DnsOptions: 'strings', DnsSearch: 'strings',
  ExtraHosts: 'strings', GroupAdd: 'strings', SecurityOpt: 'strings', NetworkMode: 'string', IpcMode: 'string', PidMode: 'string', UTSMode: 'string',
  CgroupnsMode: 'string', UsernsMode: 'string', CgroupParent: 'string', CpusetCpus: 'string', CpusetMems: 'string', Runtime: 'string',
  Memory: 'number', MemorySwap: 'number', MemoryReservation: 'number', NanoCpus: 'number', CpuShares: 'number', CpuPeriod: 'number', CpuQuota: 'number',
  PidsLimit: 'number', ShmSize: 'number', OomScoreAdj: 'number', BlkioWeight: 'number',
  AutoRemove: 'boolean', Privileged: 'boolean', PublishAllPorts: 'boolean', ReadonlyRootfs: 'boolean', Init: 'boolean',
  PortBindings: 'object', RestartPolicy: 'object', LogConfig: 'object', Tmpfs: 'object', Sysctls: 'object',
  Mounts: 'array', Ulimits: 'array', Devices: 'array',
};

function check(v: unknown, kind: Kind, field: string): void {
  if (v === undefined || v === null) return;
  const ok = kind === 'strings' ? Array.isArray(v) && v.every((x) => typeof x === 'string')
    : kind === 'strOrStrings' ? typeof v === 'string' || (Array.isArray(v) && v.every((x) => typeof x === 'string'))
    : kind === 'array' ? Array.isArray(v)
    : kind === 'object' ? typeof v === 'object' && !Array.isArray(v)
    : typeof v === kind;
  if (!ok) {
    const want = { strings: '[]string', strOrStrings: 'strslice.StrSlice', array: 'array', object: 'object', string: 'string', number: 'number', boolean: 'bool' }[kind];
    throw new ApiError(400, `json: cannot unmarshal ${Array.isArray(v) ? 'array' : typeof v} into Go struct field ${field} of type ${want}`);
  }
}

/** Throws a 400 for a create body whose fields have the wrong JSON types. */
export function validateCreateBody(body: unknown): void {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new ApiError(400, 'invalid JSON body: a container configuration object is required');
  const b = body as Record<string, unknown>;
  for (const [k, kind] of Object.entries(CONFIG)) check(b[k], kind, `Config.${k}`);
  const hc = (b.HostConfig ?? {}) as Record<string, unknown>;
  for (const [k, kind] of Object.entries(HOST_CONFIG)) check(hc[k], kind, `HostConfig.${k}`);
  for (const [port, binds] of Object.entries((hc.PortBindings ?? {}) as Record<string, unknown>)) {
    if (binds !== null && !Array.isArray(binds)) throw new ApiError(400, `json: cannot unmarshal ${typeof binds} into Go struct field HostConfig.PortBindings of type []nat.PortBinding (${port})`);
  }
  for (const [k, v] of Object.entries((b.Labels ?? {}) as Record<string, unknown>)) check(v, 'string', `Config.Labels.${k}`);
  const eps = ((b.NetworkingConfig ?? {}) as Record<string, unknown>).EndpointsConfig;
  check(eps, 'object', 'NetworkingConfig.EndpointsConfig');
}
