// Quadlet's conversions, as podman 4.6's generator makes them: a `.container`, `.volume`,
// `.network` or `.kube` file into the systemd service that runs pier (docs/quadlet.md). The
// file's own sections pass through; its [Container]/[Volume]/[Network]/[Kube] section is kept
// as [X-...] (systemd ignores X- sections) and turned into the service's command lines.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UnitFile } from './unitfile';

export const UNIT = 'Unit';
export const SERVICE = 'Service';
export const INSTALL = 'Install';
const CONTAINER = 'Container';
const VOLUME = 'Volume';
const NETWORK = 'Network';
const KUBE = 'Kube';

/** What a conversion needs from its caller: pier's path, user mode, the host's user database. */
export interface ConvertContext {
  /** The absolute path of the `pier` the units run. */
  pier: string;
  /** A user (rootless) generator (-user). */
  user: boolean;
  /** A user or group name to its number (undefined when unknown). */
  lookupId?(kind: 'user' | 'group', name: string): number | undefined;
}

export class ConvertError extends Error {}

// The keys of each section pier's generator takes: podman 4.6's, less those whose pier flag
// does not exist (the startup healthchecks; kube play's --userns and service container
// options). A key outside these lists makes the file an error, as an unknown key does in podman's.
const CONTAINER_KEYS = new Set(['AddCapability', 'AddDevice', 'Annotation', 'AutoUpdate', 'ContainerName', 'DropCapability',
  'Environment', 'EnvironmentFile', 'EnvironmentHost', 'Exec', 'ExposeHostPort', 'Group', 'HealthCmd', 'HealthInterval',
  'HealthOnFailure', 'HealthRetries', 'HealthStartPeriod', 'HealthTimeout', 'HostName', 'IP', 'IP6', 'Image', 'Label',
  'LogDriver', 'Mask', 'Mount', 'Network', 'NoNewPrivileges', 'Notify', 'PodmanArgs', 'PublishPort', 'Pull', 'ReadOnly',
  'RemapGid', 'RemapUid', 'RemapUidSize', 'RemapUsers', 'Rootfs', 'RunInit', 'SeccompProfile', 'Secret',
  'SecurityLabelDisable', 'SecurityLabelFileType', 'SecurityLabelLevel', 'SecurityLabelNested', 'SecurityLabelType',
  'Sysctl', 'Timezone', 'Tmpfs', 'Unmask', 'User', 'UserNS', 'VolatileTmp', 'Volume', 'WorkingDir']);
const VOLUME_KEYS = new Set(['Copy', 'Device', 'Group', 'Label', 'Options', 'PodmanArgs', 'Type', 'User']);
const NETWORK_KEYS = new Set(['DisableDNS', 'Driver', 'Gateway', 'IPAMDriver', 'IPRange', 'IPv6', 'Internal', 'Label', 'Options', 'PodmanArgs', 'Subnet']);
const KUBE_KEYS = new Set(['ConfigMap', 'LogDriver', 'Network', 'PodmanArgs', 'PublishPort', 'Yaml']);

/** The keys each kind of file takes (for docs and --help). */
export const SUPPORTED_KEYS: Record<string, ReadonlySet<string>> = { container: CONTAINER_KEYS, volume: VOLUME_KEYS, network: NETWORK_KEYS, kube: KUBE_KEYS };

/** `name.ext` → prefix + name + suffix + newExt. */
function rename(name: string, newExt: string, prefix = '', suffix = ''): string {
  const dot = name.lastIndexOf('.');
  return prefix + (dot > 0 ? name.slice(0, dot) : name) + suffix + newExt;
}

/** The volume a `NAME.volume` reference names, and the service that makes it. */
export const volumeNames = (ref: string) => ({ name: rename(ref, '', 'systemd-'), service: rename(ref, '.service', '', '-volume') });
/** The network a `NAME.network` reference names, and the service that makes it. */
export const networkNames = (ref: string) => ({ name: rename(ref, '', 'systemd-'), service: rename(ref, '.service', '', '-network') });

function checkKeys(unit: UnitFile, group: string, supported: ReadonlySet<string>): void {
  for (const key of unit.keys(group)) {
    if (!supported.has(key)) throw new ConvertError(`unsupported key '${key}' in group '${group}' in ${unit.path}`);
  }
}

/** A command line being built: pier's path, then words. */
class Command {
  readonly words: string[];
  constructor(pier: string, ...words: string[]) { this.words = [pier, ...words]; }
  add(...w: string[]): this { this.words.push(...w); return this; }
  bool(flag: string, on: boolean): void { this.add(on ? flag : `${flag}=false`); }
  pairs(flag: string, kv: [string, string][]): void { for (const [k, v] of kv) this.add(flag, `${k}=${v}`); }
}

/** A systemd specifier at the start (`%h/...`) but not `%%`. */
const startsWithSpecifier = (p: string) => p.length > 0 && p[0] === '%' && p[1] !== '%';

/** A path relative to the quadlet file's directory (or the working directory) made absolute; one starting with a specifier left alone. */
function absolutePath(unit: UnitFile, p: string): string {
  if (startsWithSpecifier(p) || path.isAbsolute(p)) return p;
  return unit.path ? path.join(path.dirname(unit.path), p) : path.resolve(p);
}

/** Only KillMode=mixed or control-group work with conmon: mixed when unset, an error for others. */
function checkKillMode(service: UnitFile): void {
  const kill = service.lookup(SERVICE, 'KillMode');
  if (kill === undefined) service.set(SERVICE, 'KillMode', 'mixed');
  else if (kill !== 'mixed' && kill !== 'control-group') throw new ConvertError(`invalid KillMode '${kill}'`);
}

/** `Network=` values: `NAME.network[:opts]` names systemd-NAME and makes the service require NAME-network.service. */
function addNetworks(unit: UnitFile, group: string, service: UnitFile, cmd: Command): void {
  for (let net of unit.lookupAll(group, 'Network')) {
    const colon = net.indexOf(':');
    const name = colon < 0 ? net : net.slice(0, colon);
    if (name.endsWith('.network')) {
      const n = networkNames(name);
      service.add(UNIT, 'Requires', n.service);
      service.add(UNIT, 'After', n.service);
      net = colon < 0 ? n.name : `${n.name}${net.slice(colon)}`;
    }
    cmd.add(`--network=${net}`);
  }
}

/** A volume's source: `./x` made absolute, a host path required mounted, `NAME.volume` named systemd-NAME with its service required. */
function storageSource(unit: UnitFile, service: UnitFile, source: string): string {
  let s = source;
  if (s.startsWith('.')) s = absolutePath(unit, s);
  if (s.startsWith('/')) service.add(UNIT, 'RequiresMountsFor', s);
  else if (s.endsWith('.volume')) {
    const v = volumeNames(s);
    service.add(UNIT, 'Requires', v.service);
    service.add(UNIT, 'After', v.service);
    s = v.name;
  }
  return s;
}

const PORT_RANGE = /^\d+(-\d+)?(\/udp|\/tcp)?$/;

/** `ip:hostPort:containerPort` etc. split on colons outside `[...]`. */
function splitPorts(spec: string): string[] {
  const parts: string[] = [];
  let cur = '';
  let bracket = false;
  for (const c of spec) {
    if (c === '[') bracket = true;
    else if (c === ']') bracket = false;
    if (c === ':' && !bracket) { parts.push(cur); cur = ''; } else cur += c;
  }
  parts.push(cur);
  return parts;
}

function addPublishPorts(unit: UnitFile, group: string, cmd: Command): void {
  for (const raw of unit.lookupAll(group, 'PublishPort')) {
    const spec = raw.trim();
    const parts = splitPorts(spec);
    if (parts.length > 3) throw new ConvertError(`invalid published port '${spec}'`);
    const [containerPort, hostPort = '', ip0 = ''] = [...parts].reverse();
    const ip = ip0 === '0.0.0.0' ? '' : ip0;
    for (const p of [hostPort, containerPort]) if (p && !PORT_RANGE.test(p)) throw new ConvertError(`invalid port format '${p}'`);
    cmd.add('--publish', ip ? `${ip}:${hostPort}:${containerPort}` : hostPort ? `${hostPort}:${containerPort}` : containerPort);
  }
}

function addLogDriver(unit: UnitFile, group: string, cmd: Command): void {
  const d = unit.lookup(group, 'LogDriver');
  if (d !== undefined) cmd.add('--log-driver', d);
}

/** RemapUsers= (with RemapUid/RemapGid/RemapUidSize) as --userns or --uidmap/--gidmap; ignored when UserNS= is set. */
function addUserRemap(unit: UnitFile, group: string, cmd: Command, user: boolean): void {
  if (unit.lookup(group, 'UserNS')) return;
  const uids = unit.lookupAllStrv(group, 'RemapUid');
  const gids = unit.lookupAllStrv(group, 'RemapGid');
  const all = unit.lookupAll(group, 'RemapUsers');
  const mode = all.length ? all[all.length - 1] : '';
  const opts = (kind: string, o: string[]) => `--userns=${kind}${o.length ? `:${o.join(',')}` : ''}`;
  switch (mode) {
    case '':
      if (uids.length) throw new ConvertError('UidMap set without RemapUsers');
      if (gids.length) throw new ConvertError('GidMap set without RemapUsers');
      return;
    case 'manual':
      for (const m of uids) cmd.add(`--uidmap=${m}`);
      for (const m of gids) cmd.add(`--gidmap=${m}`);
      return;
    case 'auto': {
      const o = [...uids.map((m) => `uidmapping=${m}`), ...gids.map((m) => `gidmapping=${m}`)];
      const size = unit.lookupUint32(group, 'RemapUidSize', 0);
      if (size > 0) o.push(`size=${size}`);
      cmd.add(opts('auto', o));
      return;
    }
    case 'keep-id': {
      if (!user) throw new ConvertError('RemapUsers=keep-id is unsupported for system units');
      if (uids.length > 1) throw new ConvertError('RemapUsers=keep-id supports only a single value for UID mapping');
      if (gids.length > 1) throw new ConvertError('RemapUsers=keep-id supports only a single value for GID mapping');
      cmd.add(opts('keep-id', [...uids.map((m) => `uid=${m}`), ...gids.map((m) => `gid=${m}`)]));
      return;
    }
    default:
      throw new ConvertError(`unsupported RemapUsers option '${mode}'`);
  }
}

/** A `User=`/`Group=` value: a number as it is, a name through the host's user database (a container's: as given). */
function idValue(unit: UnitFile, group: string, key: 'User' | 'Group', ctx: ConvertContext, resolveNames: boolean): string | undefined {
  const v = unit.lookup(group, key);
  if (v === undefined) return undefined;
  const n = unit.lookupUint32(group, key, -1);
  if (n >= 0) return String(n);
  if (!resolveNames) {
    if (v === '' || /[:\s]/.test(v)) throw new ConvertError(`invalid ${key} '${v}'`);
    return v;
  }
  const id = ctx.lookupId?.(key === 'User' ? 'user' : 'group', v);
  if (id === undefined) throw new ConvertError(`unknown ${key === 'User' ? 'user' : 'group'} '${v}'`);
  return String(id);
}

/** The service made from a quadlet file: its sections copied, the quadlet section renamed X-<name>. */
function startService(unit: UnitFile, group: string, supported: ReadonlySet<string>, suffix: string, sourcePath: boolean): UnitFile {
  const service = unit.dup();
  service.filename = rename(unit.filename, '.service', '', suffix);
  if (sourcePath && unit.path) service.add(UNIT, 'SourcePath', unit.path);
  checkKeys(unit, group, supported);
  service.renameGroup(group, `X-${group}`);
  return service;
}

export function convertContainer(unit: UnitFile, ctx: ConvertContext): UnitFile {
  const service = startService(unit, CONTAINER, CONTAINER_KEYS, '', true);
  const G = CONTAINER;
  const image = unit.lookup(G, 'Image') ?? '';
  const rootfs = unit.lookup(G, 'Rootfs') ?? '';
  if (!image && !rootfs) throw new ConvertError('no Image or Rootfs key specified');
  if (image && rootfs) throw new ConvertError('the Image And Rootfs keys conflict can not be specified together');
  const name = unit.lookup(G, 'ContainerName') || 'systemd-%N';

  // The unit's name for pier's labels and auto-update.
  service.add(SERVICE, 'Environment', 'PODMAN_SYSTEMD_UNIT=%n');
  checkKillMode(service);
  service.add(UNIT, 'RequiresMountsFor', '%t/containers');
  // ExecStop removes what conmon may have left; ExecStopPost also runs when conmon was killed.
  const rm = [ctx.pier, 'rm', '-f', '-i', '--cidfile=%t/%N.cid'];
  // pier, as podman 4.3, leaves a removed container's ID file behind (podman 4.4 removes it),
  // and `run --cidfile` refuses an existing file: each start removes the last one's first.
  service.addCommand(SERVICE, 'ExecStartPre', ['/bin/rm', '-f', '%t/%N.cid'], '-');
  service.addCommand(SERVICE, 'ExecStop', rm);
  service.addCommand(SERVICE, 'ExecStopPost', rm, '-');

  const cmd = new Command(ctx.pier, 'run', `--name=${name}`, '--cidfile=%t/%N.cid', '--replace', '--rm');
  addLogDriver(unit, G, cmd);
  service.add(SERVICE, 'Delegate', 'yes');
  cmd.add('--cgroups=split');
  const tz = unit.lookup(G, 'Timezone');
  if (tz) cmd.add(`--tz=${tz}`);
  addNetworks(unit, G, service, cmd);
  const init = unit.lookupBoolean(G, 'RunInit');
  if (init !== undefined) cmd.bool('--init', init);

  const type = service.lookup(SERVICE, 'Type');
  if (type !== undefined && type !== 'notify' && type !== 'oneshot') throw new ConvertError(`invalid service Type '${type}'`);
  if (type !== 'oneshot') {
    // conmon tells systemd the container is up, or (Notify=yes) the container itself does.
    cmd.add(unit.lookupBoolean(G, 'Notify') ? '--sdnotify=container' : '--sdnotify=conmon');
    service.set(SERVICE, 'Type', 'notify');
    service.set(SERVICE, 'NotifyAccess', 'all');
    cmd.add('-d');
  }
  if (!unit.hasKey(SERVICE, 'SyslogIdentifier')) service.set(SERVICE, 'SyslogIdentifier', '%N');

  if (unit.lookupBoolean(G, 'NoNewPrivileges')) cmd.add('--security-opt=no-new-privileges');
  if (unit.lookupBoolean(G, 'SecurityLabelDisable')) cmd.add('--security-opt', 'label:disable');
  if (unit.lookupBoolean(G, 'SecurityLabelNested')) cmd.add('--security-opt', 'label:nested');
  for (const [key, opt] of [['SecurityLabelType', 'type'], ['SecurityLabelFileType', 'filetype'], ['SecurityLabelLevel', 'level']]) {
    const v = unit.lookup(G, key);
    if (v) cmd.add('--security-opt', `label=${opt}:${v}`);
  }
  for (let dev of unit.lookupAllStrv(G, 'AddDevice')) {
    // `-/dev/x`: only when the host has it.
    if (dev.startsWith('-')) {
      dev = dev.slice(1);
      if (!fs.existsSync(dev.split(':')[0])) continue;
    }
    cmd.add(`--device=${dev}`);
  }
  const seccomp = unit.lookup(G, 'SeccompProfile');
  if (seccomp !== undefined) cmd.add('--security-opt', `seccomp=${seccomp}`);
  for (const c of unit.lookupAllStrv(G, 'DropCapability')) cmd.add(`--cap-drop=${c.toLowerCase()}`);
  for (const c of unit.lookupAllStrv(G, 'AddCapability')) cmd.add(`--cap-add=${c.toLowerCase()}`);
  for (const s of unit.lookupAllStrv(G, 'Sysctl')) cmd.add(`--sysctl=${s}`);
  const readOnly = unit.lookupBoolean(G, 'ReadOnly');
  if (readOnly !== undefined) cmd.bool('--read-only', readOnly);
  if (unit.lookupBoolean(G, 'VolatileTmp')) {
    // --read-only has its own tmpfs on /tmp.
    if (!readOnly) cmd.add('--tmpfs', '/tmp:rw,size=512M,mode=1777');
  } else if (readOnly) cmd.add('--read-only-tmpfs=false');

  const uid = idValue(unit, G, 'User', ctx, false);
  const gid = idValue(unit, G, 'Group', ctx, false);
  if (uid !== undefined || gid !== undefined) cmd.add('--user', gid !== undefined ? `${uid ?? '0'}:${gid}` : uid!);
  const workdir = unit.lookup(G, 'WorkingDir');
  if (workdir !== undefined) cmd.add(`-w=${workdir}`);
  addUserRemap(unit, G, cmd, ctx.user);
  const userns = unit.lookup(G, 'UserNS');
  if (userns) cmd.add('--userns', userns);

  for (const t of unit.lookupAll(G, 'Tmpfs')) {
    if (t.split(':').length > 2) throw new ConvertError(`invalid tmpfs format '${t}'`);
    cmd.add('--tmpfs', t);
  }
  for (const v of unit.lookupAll(G, 'Volume')) {
    const parts = v.split(':');
    const [source, dest] = parts.length >= 2 ? [parts[0], parts[1]] : ['', parts[0]];
    const options = parts.length >= 3 ? `:${parts.slice(2).join(':')}` : '';
    cmd.add('-v', source ? `${storageSource(unit, service, source)}:${dest}${options}` : dest);
  }
  const update = unit.lookup(G, 'AutoUpdate');
  if (update) cmd.add('--label', `io.containers.autoupdate=${update}`);
  for (const raw of unit.lookupAll(G, 'ExposeHostPort')) {
    const p = raw.trim();
    if (!PORT_RANGE.test(p)) throw new ConvertError(`invalid port format '${p}'`);
    cmd.add(`--expose=${p}`);
  }
  addPublishPorts(unit, G, cmd);
  cmd.pairs('--env', unit.lookupAllKeyVal(G, 'Environment'));
  const ip = unit.lookup(G, 'IP');
  if (ip) cmd.add('--ip', ip);
  const ip6 = unit.lookup(G, 'IP6');
  if (ip6) cmd.add('--ip6', ip6);
  cmd.pairs('--label', unit.lookupAllKeyVal(G, 'Label'));
  cmd.pairs('--annotation', unit.lookupAllKeyVal(G, 'Annotation'));
  for (const m of unit.lookupAllArgs(G, 'Mask')) cmd.add('--security-opt', `mask=${m}`);
  for (const m of unit.lookupAllArgs(G, 'Unmask')) cmd.add('--security-opt', `unmask=${m}`);
  for (const f of unit.lookupAllArgs(G, 'EnvironmentFile')) cmd.add('--env-file', absolutePath(unit, f));
  const envHost = unit.lookupBoolean(G, 'EnvironmentHost');
  if (envHost !== undefined) cmd.bool('--env-host', envHost);
  for (const s of unit.lookupAllArgs(G, 'Secret')) cmd.add('--secret', s);
  for (const m of unit.lookupAllArgs(G, 'Mount')) cmd.add('--mount', mountValue(unit, service, m));
  for (const [key, flag] of HEALTH_KEYS) {
    const v = unit.lookup(G, key);
    if (v) cmd.add(`--health-${flag}`, v);
  }
  const hostname = unit.lookup(G, 'HostName');
  if (hostname !== undefined) cmd.add('--hostname', hostname);
  const pull = unit.lookup(G, 'Pull');
  if (pull) cmd.add('--pull', pull);
  cmd.add(...unit.lookupAllArgs(G, 'PodmanArgs'));
  if (image) cmd.add(image);
  else cmd.add('--rootfs', rootfs);
  cmd.add(...(unit.lookupLastArgs(G, 'Exec') ?? []));
  service.addCommand(SERVICE, 'ExecStart', cmd.words);
  return service;
}

const HEALTH_KEYS = [['HealthCmd', 'cmd'], ['HealthInterval', 'interval'], ['HealthOnFailure', 'on-failure'], ['HealthRetries', 'retries'],
  ['HealthStartPeriod', 'start-period'], ['HealthTimeout', 'timeout']];

/** A `Mount=` value with its volume or bind source resolved as `Volume=`'s (type first, the rest in order). */
function mountValue(unit: UnitFile, service: UnitFile, m: string): string {
  const params = m.split(',').map((p) => {
    const eq = p.indexOf('=');
    return eq < 0 ? [p, ''] : [p.slice(0, eq), p.slice(eq + 1)];
  });
  const type = params.find(([k]) => k === 'type')?.[1];
  if (type === 'volume' || type === 'bind') {
    const src = params.find(([k]) => k === 'source') ?? params.find(([k]) => k === 'src');
    if (src && src[1]) src[1] = storageSource(unit, service, src[1]);
  }
  return [`type=${type ?? ''}`, ...params.filter(([k]) => k !== 'type').map(([k, v]) => `${k}=${v}`)].join(',');
}

/** A oneshot service that creates something once (its labels, PodmanArgs= and name last) and stays "active". */
function oneshot(unit: UnitFile, group: string, service: UnitFile, cmd: Command, name: string): UnitFile {
  cmd.pairs('--label', unit.lookupAllKeyVal(group, 'Label'));
  cmd.add(...unit.lookupAllArgs(group, 'PodmanArgs'), name);
  service.addCommand(SERVICE, 'ExecStart', cmd.words);
  service.set(SERVICE, 'Type', 'oneshot');
  service.set(SERVICE, 'RemainAfterExit', 'yes');
  service.set(SERVICE, 'SyslogIdentifier', '%N');
  return service;
}

/** Driver options without `=` (`Options=isolate`) kept as they are; `K=V` ones sorted by key, the last of a key winning. */
function driverOptions(unit: UnitFile, group: string, key: string): string[] {
  const words = unit.lookupAllArgs(group, key);
  const pairs = new Map<string, string>();
  const plain: string[] = [];
  for (const w of words) {
    const eq = w.indexOf('=');
    if (eq < 0) { if (!plain.includes(w)) plain.push(w); } else pairs.set(w.slice(0, eq), w.slice(eq + 1));
  }
  return [...[...pairs].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `${k}=${v}`), ...plain];
}

export function convertNetwork(unit: UnitFile, ctx: ConvertContext): UnitFile {
  const service = startService(unit, NETWORK, NETWORK_KEYS, '-network', false);
  const G = NETWORK;
  service.add(UNIT, 'RequiresMountsFor', '%t/containers');
  const cmd = new Command(ctx.pier, 'network', 'create', '--ignore');
  if (unit.lookupBoolean(G, 'DisableDNS')) cmd.add('--disable-dns');
  const driver = unit.lookup(G, 'Driver');
  if (driver) cmd.add(`--driver=${driver}`);
  const subnets = unit.lookupAll(G, 'Subnet');
  const gateways = unit.lookupAll(G, 'Gateway');
  const ranges = unit.lookupAll(G, 'IPRange');
  if (subnets.length) {
    if (gateways.length > subnets.length) throw new ConvertError('cannot set more gateways than subnets');
    if (ranges.length > subnets.length) throw new ConvertError('cannot set more ranges than subnets');
    subnets.forEach((s, i) => {
      cmd.add(`--subnet=${s}`);
      if (gateways[i] !== undefined) cmd.add(`--gateway=${gateways[i]}`);
      if (ranges[i] !== undefined) cmd.add(`--ip-range=${ranges[i]}`);
    });
  } else if (gateways.length || ranges.length) throw new ConvertError('cannot set gateway or range without subnet');
  if (unit.lookupBoolean(G, 'Internal')) cmd.add('--internal');
  const ipam = unit.lookup(G, 'IPAMDriver');
  if (ipam) cmd.add(`--ipam-driver=${ipam}`);
  if (unit.lookupBoolean(G, 'IPv6')) cmd.add('--ipv6');
  for (const o of driverOptions(unit, G, 'Options')) cmd.add('--opt', o);
  return oneshot(unit, G, service, cmd, networkNames(unit.filename).name);
}

export function convertVolume(unit: UnitFile, ctx: ConvertContext): UnitFile {
  const service = startService(unit, VOLUME, VOLUME_KEYS, '-volume', false);
  const G = VOLUME;
  service.add(UNIT, 'RequiresMountsFor', '%t/containers');
  const cmd = new Command(ctx.pier, 'volume', 'create', '--ignore');
  const mountOpts: string[] = [];
  const uid = idValue(unit, G, 'User', ctx, true);
  if (uid !== undefined) mountOpts.push(`uid=${uid}`);
  const gid = idValue(unit, G, 'Group', ctx, true);
  if (gid !== undefined) mountOpts.push(`gid=${gid}`);
  const copy = unit.lookupBoolean(G, 'Copy');
  if (copy !== undefined) cmd.add('--opt', copy ? 'copy' : 'nocopy');
  const device = unit.lookup(G, 'Device');
  if (device) cmd.add('--opt', `device=${device}`);
  const type = unit.lookup(G, 'Type');
  if (type) {
    if (!device) throw new ConvertError("key Type can't be used without Device");
    cmd.add('--opt', `type=${type}`);
  }
  const options = unit.lookup(G, 'Options');
  if (options) {
    if (!device) throw new ConvertError("key Options can't be used without Device");
    mountOpts.push(options);
  }
  if (mountOpts.length) cmd.add('--opt', `o=${mountOpts.join(',')}`);
  return oneshot(unit, G, service, cmd, volumeNames(unit.filename).name);
}

/**
 * A `.kube` file: `pier kube play --replace --service-container=true` of its YAML, as podman
 * 4.6's: a Type=notify service whose main process is the service container's conmon (kube play
 * sends MAINPID and READY=1 once the pods run), so the service lives as long as the pods; `kube
 * down` of it when the service has stopped (its failure ignored: nothing left to take down).
 */
export function convertKube(unit: UnitFile, ctx: ConvertContext): UnitFile {
  const service = startService(unit, KUBE, KUBE_KEYS, '', true);
  const G = KUBE;
  const yamlValue = unit.lookup(G, 'Yaml');
  if (!yamlValue) throw new ConvertError('no Yaml key specified');
  const yaml = absolutePath(unit, yamlValue);
  checkKillMode(service);
  service.add(SERVICE, 'Environment', 'PODMAN_SYSTEMD_UNIT=%n');
  service.add(UNIT, 'RequiresMountsFor', '%t/containers');
  service.set(SERVICE, 'Type', 'notify');
  service.set(SERVICE, 'NotifyAccess', 'all');
  if (!unit.hasKey(SERVICE, 'SyslogIdentifier')) service.set(SERVICE, 'SyslogIdentifier', '%N');
  const cmd = new Command(ctx.pier, 'kube', 'play', '--replace', '--service-container=true');
  addLogDriver(unit, G, cmd);
  addNetworks(unit, G, service, cmd);
  for (const c of unit.lookupAllStrv(G, 'ConfigMap')) cmd.add('--configmap', absolutePath(unit, c));
  addPublishPorts(unit, G, cmd);
  cmd.add(...unit.lookupAllArgs(G, 'PodmanArgs'));
  cmd.add(yaml);
  service.addCommand(SERVICE, 'ExecStart', cmd.words);
  // Stopping the service stops the service container (conmon passes systemd's SIGTERM on), or the
  // pods' exits did; then the pods are taken down, which removes it.
  service.addCommand(SERVICE, 'ExecStopPost', [ctx.pier, 'kube', 'down', yaml], '-');
  return service;
}
