// The flags of `pier run` / `pier create` (podman 4.3's table) and their parsing into the
// domain's CreateOptions. Parsing is pure apart from reading --env-file/--label-file and
// checking paths (--device, --tz, --cidfile), so it can be unit-tested directly.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FlagDef, Opts } from '../parser';
import { HEALTH_ON_FAILURE_ACTIONS, parseImageMount } from '../../domain/containers';
import type { CreateOptions, HealthConfig, HealthOnFailure, RestartPolicy } from '../../domain/containers';
import type { Platform, PullOptions } from '../../domain/images';
import { PierError, UsageError, errnoText, readFileErrorText } from '../../util/errors';
import { parseSignal } from '../../util/signals';
import { log } from '../../util/log';
import { parseGoDuration } from '../../image/filters';
import { parseDeviceCgroupRule } from '../../engine/spec/devices';
import { dedupeDeviceValues, parseThrottleDevice, parseWeightDevice } from '../../engine/spec/resources';
import { parseIdMapFlag, validateUserns } from '../../engine/userns';
import { dropResources } from '../../engine/update';
import { inRootlessUserns } from '../../config/paths';
import { writeStderr } from '../../util/stdio';

export { validateUserns };

/** A bad flag value that podman reports with a `See 'podman run --help'` hint. */
export class FlagValueError extends UsageError {
  constructor(message: string) { super(message); this.name = 'FlagValueError'; }
}

export type RunKind = 'run' | 'create';

const SIZE_UNIT_HELP = 'where unit = b (bytes), k (kibibytes), m (mebibytes), or g (gibibytes)';
const DETACH_KEYS_HELP = 'Override the key sequence for detaching a container. Format is a single character [a-Z] or a comma separated sequence of `ctrl-<value>`, where `<value>` is one of: `a-cf`, `@`, `^`, `[`, `\\`, `]`, `^` or `_`';
export const DEFAULT_DETACH_KEYS = 'ctrl-p,ctrl-q';

const s = (name: string, help: string, extra: Partial<FlagDef> = {}): FlagDef => ({ name, type: 'string', help, ...extra });
const b = (name: string, help: string, extra: Partial<FlagDef> = {}): FlagDef => ({ name, type: 'bool', help, ...extra });
/** pflag StringSlice: repeatable, comma separated values. */
const ss = (name: string, help: string, extra: Partial<FlagDef> = {}): FlagDef => ({ name, type: 'stringArray', valueName: 'strings', help, ...extra });
/** pflag StringArray: repeatable, values kept whole. */
const sa = (name: string, help: string, extra: Partial<FlagDef> = {}): FlagDef => ({ name, type: 'stringArray', help, ...extra });
const int = (name: string, help: string, extra: Partial<FlagDef> = {}): FlagDef => ({ name, type: 'int', help, ...extra });
const uint = (name: string, help: string, extra: Partial<FlagDef> = {}): FlagDef => ({ name, type: 'int', valueName: 'uint', help, ...extra });

/** The flag table of `run` (kind 'run') or `create`, in podman 4.3's wording. */
export function createFlags(kind: RunKind): FlagDef[] {
  const flags: FlagDef[] = [
    ss('add-host', 'Add a custom host-to-IP mapping (host:ip) (default [])'),
    ss('annotation', 'Add annotations to container (key=value)'),
    s('arch', 'use ARCH instead of the architecture of the machine for choosing images', { valueName: 'ARCH' }),
    ss('attach', 'Attach to STDIN, STDOUT or STDERR', { short: 'a' }),
    s('authfile', 'Path of the authentication file. Use REGISTRY_AUTH_FILE environment variable to override'),
    s('blkio-weight', 'Block IO weight (relative weight) accepts a weight value between 10 and 1000.'),
    ss('blkio-weight-device', 'Block IO weight (relative device weight, format: DEVICE_NAME:WEIGHT)', { valueName: 'DEVICE_NAME:WEIGHT' }),
    ss('cap-add', 'Add capabilities to the container'),
    ss('cap-drop', 'Drop capabilities from the container'),
    ss('cgroup-conf', 'Configure cgroup v2 (key=value)'),
    s('cgroup-parent', 'Optional parent cgroup for the container'),
    s('cgroupns', 'cgroup namespace to use'),
    s('cgroups', 'control container cgroup configuration ("enabled"|"disabled"|"no-conmon"|"split")', { default: 'enabled' }),
    ss('chrootdirs', 'Chroot directories inside the container'),
    s('cidfile', 'Write the container ID to the file'),
    s('conmon-pidfile', 'Path to the file that will receive the PID of conmon'),
    uint('cpu-period', 'Limit the CPU CFS (Completely Fair Scheduler) period'),
    int('cpu-quota', 'Limit the CPU CFS (Completely Fair Scheduler) quota'),
    uint('cpu-rt-period', 'Limit the CPU real-time period in microseconds'),
    int('cpu-rt-runtime', 'Limit the CPU real-time runtime in microseconds'),
    uint('cpu-shares', 'CPU shares (relative weight)', { short: 'c' }),
    s('cpus', 'Number of CPUs. The default is 0.000 which means no limit', { valueName: 'float' }),
    s('cpuset-cpus', 'CPUs in which to allow execution (0-3, 0,1)'),
    s('cpuset-mems', 'Memory nodes (MEMs) in which to allow execution (0-3, 0,1). Only effective on NUMA systems.'),
    ss('device', 'Add a host device to the container'),
    ss('device-cgroup-rule', 'Add a rule to the cgroup allowed devices list'),
    ss('device-read-bps', 'Limit read rate (bytes per second) from a device (e.g. --device-read-bps=/dev/sda:1mb)'),
    ss('device-read-iops', 'Limit read rate (IO per second) from a device (e.g. --device-read-iops=/dev/sda:1000)'),
    ss('device-write-bps', 'Limit write rate (bytes per second) to a device (e.g. --device-write-bps=/dev/sda:1mb)'),
    ss('device-write-iops', 'Limit write rate (IO per second) to a device (e.g. --device-write-iops=/dev/sda:1000)'),
    b('disable-content-trust', 'This is a Docker specific option and is a NOOP'),
    ss('dns', 'Set custom DNS servers'),
    ss('dns-option', 'Set custom DNS options'),
    ss('dns-search', 'Set custom DNS search domains'),
    s('entrypoint', 'Overwrite the default ENTRYPOINT of the image'),
    sa('env', 'Set environment variables in container (default [PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin,TERM=xterm])', { short: 'e' }),
    ss('env-file', 'Read in a file of environment variables'),
    b('env-host', 'Use all current host environment variables in container'),
    sa('env-merge', 'Preprocess environment variables from image before injecting them into the container'),
    ss('expose', 'Expose a port or a range of ports'),
    ss('gidmap', 'GID map to use for the user namespace'),
    ss('group-add', "Add additional groups to the primary container process. 'keep-groups' allows container processes to use supplementary groups."),
    s('health-cmd', "set a healthcheck command for the container ('none' disables the existing healthcheck)"),
    s('health-interval', 'set an interval for the healthchecks (a value of disable results in no automatic timer setup)', { default: '30s' }),
    s('health-on-failure', 'action to take once the container turns unhealthy', { default: 'none' }),
    uint('health-retries', 'the number of retries allowed before a healthcheck is considered to be unhealthy', { default: 3 }),
    s('health-start-period', 'the initialization time needed for a container to bootstrap', { default: '0s' }),
    s('health-timeout', 'the maximum time allowed to complete the healthcheck before an interval is considered failed', { default: '30s' }),
    b('help', ''),
    s('hostname', 'Set container hostname', { short: 'h' }),
    ss('hostuser', 'Host user account to add to /etc/passwd within container'),
    b('http-proxy', 'Set proxy environment variables in the container based on the host proxy vars', { default: true }),
    s('image-volume', 'Tells podman how to handle the builtin image volumes ("bind"|"tmpfs"|"ignore")', { default: 'bind' }),
    b('init', 'Run an init binary inside the container that forwards signals and reaps processes'),
    s('init-path', 'Path to the container-init binary'),
    b('interactive', 'Keep STDIN open even if not attached', { short: 'i' }),
    s('ip', 'Specify a static IPv4 address for the container'),
    s('ip6', 'Specify a static IPv6 address for the container'),
    s('ipc', 'IPC namespace to use'),
    s('kernel-memory', 'DEPRECATED: Option is just hear for compatibility with Docker', { hidden: true }),
    sa('label', 'Set metadata on container', { short: 'l' }),
    ss('label-file', 'Read in a line delimited file of labels'),
    s('log-driver', 'Logging driver for the container', { default: 'k8s-file' }),
    ss('log-opt', 'Logging driver options'),
    s('mac-address', 'Container MAC address (e.g. 92:d0:c6:0a:29:33)'),
    s('memory', `Memory limit (format: <number>[<unit>], ${SIZE_UNIT_HELP})`, { short: 'm', valueName: '<number>[<unit>]' }),
    s('memory-reservation', `Memory soft limit (format: <number>[<unit>], ${SIZE_UNIT_HELP})`, { valueName: '<number>[<unit>]' }),
    s('memory-swap', "Swap limit equal to memory plus swap: '-1' to enable unlimited swap"),
    int('memory-swappiness', 'Tune container memory swappiness (0 to 100, or -1 for system default)', { default: -1 }),
    sa('mount', 'Attach a filesystem mount to the container'),
    s('name', 'Assign a name to the container'),
    sa('net', 'Connect a container to a network', { hidden: true }),
    sa('network', 'Connect a container to a network'),
    ss('network-alias', 'Add network-scoped alias for the container'),
    b('no-healthcheck', 'Disable healthchecks on container'),
    b('no-hosts', 'Do not create /etc/hosts within the container, instead use the version from the image'),
    b('oom-kill-disable', 'Disable OOM Killer'),
    int('oom-score-adj', "Tune the host's OOM preferences (-1000 to 1000)"),
    s('os', 'use OS instead of the running OS for choosing images', { valueName: 'OS' }),
    s('passwd-entry', 'Entry to write to /etc/passwd'),
    s('personality', 'Configure execution domain using personality (e.g., LINUX/LINUX32)'),
    s('pid', 'PID namespace to use'),
    s('pidfile', 'Write the container process ID to the file'),
    int('pids-limit', 'Tune container pids limit (set -1 for unlimited)', { default: 2048 }),
    s('platform', 'Specify the platform for selecting the image.  (Conflicts with --arch and --os)'),
    s('pod', 'Run container in an existing pod'),
    s('pod-id-file', 'Read the pod ID from the file'),
    b('privileged', 'Give extended privileges to container'),
    ss('publish', "Publish a container's port, or a range of ports, to the host (default [])", { short: 'p' }),
    b('publish-all', 'Publish all exposed ports to random ports on the host interface', { short: 'P' }),
    s('pull', 'Pull image policy', { default: 'missing' }),
    b('quiet', 'Suppress output information when pulling images', { short: 'q' }),
    b('read-only', 'Make containers root filesystem read-only'),
    b('read-only-tmpfs', 'When running containers in read-only mode mount a read-write tmpfs on /run, /tmp and /var/tmp', { default: true }),
    b('replace', 'If a container with the same name exists, replace it'),
    ss('requires', 'Add one or more requirement containers that must be started before this container will start'),
    s('restart', 'Restart policy to apply when a container exits ("always"|"no"|"on-failure"|"unless-stopped")'),
    b('rm', 'Remove container (and pod if created) after exit'),
    b('rootfs', 'The first argument is not an image but the rootfs to the exploded container'),
    s('sdnotify', 'control sd-notify behavior ("container"|"conmon"|"ignore")', { default: 'container' }),
    s('seccomp-policy', 'Policy for selecting a seccomp profile (experimental)', { default: 'default' }),
    sa('secret', 'Add secret to container'),
    sa('security-opt', 'Security Options'),
    s('shm-size', `Size of /dev/shm (format: <number>[<unit>], ${SIZE_UNIT_HELP})`, { valueName: '<number>[<unit>]', default: '65536k' }),
    s('stop-signal', 'Signal to stop a container. Default is SIGTERM'),
    uint('stop-timeout', 'Timeout (in seconds) that containers stopped by user command have to exit. If exceeded, the container will be forcibly stopped via SIGKILL.', { default: 10 }),
    s('subgidname', 'Name of range listed in /etc/subgid for use in user namespace'),
    s('subuidname', 'Name of range listed in /etc/subuid for use in user namespace'),
    ss('sysctl', 'Sysctl options'),
    s('systemd', 'Run container in systemd mode ("true"|"false"|"always")', { default: 'true' }),
    uint('timeout', 'Maximum length of time a container is allowed to run. The container will be killed automatically after the time expires.'),
    b('tls-verify', 'Require HTTPS and verify certificates when contacting registries for pulling images'),
    sa('tmpfs', 'Mount a temporary filesystem (tmpfs) into a container', { valueName: 'tmpfs' }),
    b('tty', 'Allocate a pseudo-TTY for container', { short: 't' }),
    s('tz', 'Set timezone in container'),
    ss('uidmap', 'UID map to use for the user namespace'),
    ss('ulimit', 'Ulimit options (default [nproc=32768:32768])'),
    s('umask', 'Set umask in container', { default: '0022' }),
    sa('unsetenv', 'Unset environment default variables in container'),
    b('unsetenv-all', 'Unset all default environment variables in container'),
    s('user', 'Username or UID (format: <name|uid>[:<group|gid>])', { short: 'u' }),
    s('userns', 'User namespace to use'),
    s('uts', 'UTS namespace to use'),
    s('variant', 'Use VARIANT instead of the running architecture variant for choosing images', { valueName: 'VARIANT' }),
    sa('volume', 'Bind mount a volume into the container', { short: 'v' }),
    sa('volumes-from', 'Mount volumes from the specified container(s)'),
    s('workdir', 'Working directory inside the container', { short: 'w' }),
    // Hidden in podman's help but accepted.
    s('creds', 'Credentials (USERNAME:PASSWORD) to use for authenticating to a registry', { hidden: true }),
    s('cert-dir', 'Path to a directory containing TLS certificates and keys', { hidden: true }),
  ];
  if (kind === 'run') {
    flags.push(
      b('detach', 'Run container in background and print container ID', { short: 'd' }),
      s('detach-keys', DETACH_KEYS_HELP, { valueName: '[a-Z]', default: DEFAULT_DETACH_KEYS }),
      b('passwd', 'add entries to /etc/passwd and /etc/group', { default: true }),
      uint('preserve-fds', 'Pass a number of additional file descriptors into the container'),
      b('rmi', 'Remove container image unless used by other containers'),
      b('sig-proxy', 'Proxy received signals to the process', { default: true }),
    );
  } else {
    flags.push(s('init-ctr', 'Make this a pod init container.'));
  }
  return flags;
}

/** What run/create need besides CreateOptions. */
export interface ParsedCreate {
  create: CreateOptions;
  detach: boolean;
  detachKeys?: string;
  sigProxy: boolean;
  cidfile?: string;
  quiet: boolean;
  rmi: boolean;
  /** --preserve-fds (run): fds 3..3+N-1 of this process go to the container. */
  preserveFds?: number;
  /** run --attach: the streams named (lower case). */
  attach?: string[];
}

/**
 * Whether fd was passed to this process. Node marks inherited descriptors close-on-exec at
 * startup (libuv's uv_disable_stdio_inheritance), so flags cannot tell them from its own; but
 * the first descriptor Node opens itself is its event loop's epoll instance (an anon inode),
 * taking the lowest free number: the open descriptors from 3 up to the first anon inode are
 * the inherited ones.
 */
export function fdInherited(fd: number): boolean {
  const link = (n: number): string | undefined => { try { return fs.readlinkSync(`/proc/self/fd/${n}`); } catch { return undefined; } };
  if (fd < 3 || link(fd) === undefined) return false;
  for (let n = 3; n <= fd; n++) {
    if (link(n)?.startsWith('anon_inode:')) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------
// Value parsers (exported for reuse and tests)

import { splitCSV } from '../../util/csv';

export { splitCSV };

/** go-units RAMInBytes: `<number>[<unit>]` with binary units b, k, m, g, t, p. */
export function parseRAM(value: string): number | undefined {
  const m = /^(\d+(?:\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$/.exec(value);
  if (!m) return undefined;
  const n = parseFloat(m[1]);
  if (isNaN(n)) return undefined;
  const mult: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };
  return Math.floor(n * mult[(m[2] ?? '').toLowerCase()]);
}

function ramOrThrow(value: string, prefix: string): number {
  const n = parseRAM(value);
  if (n === undefined) throw new UsageError(`${prefix}invalid size: '${value}'`);
  return n;
}

/** --restart: no | always | unless-stopped | on-failure[:N]. */
export function parseRestartPolicy(value: string): RestartPolicy {
  const [name, count] = value.split(/:(.*)/s, 2);
  if (!['', 'no', 'always', 'on-failure', 'unless-stopped'].includes(name)) {
    throw new UsageError(`running container create option: "${value}" is not a valid restart policy: invalid argument`);
  }
  let max = 0;
  if (count !== undefined) {
    if (name !== 'on-failure') throw new UsageError('restart policy retries can only be specified with on-failure restart policy');
    if (!/^[-+]?\d+$/.test(count)) throw new UsageError(`parsing restart policy retry count: strconv.Atoi: parsing "${count}": invalid syntax`);
    max = parseInt(count, 10);
    if (max < 0) throw new UsageError('must specify restart policy retry count as a number greater than 0');
  }
  return { name: name as RestartPolicy['name'], maximumRetryCount: max };
}

/** A Go duration for the health flags, in nanoseconds. */
function healthDuration(flag: string, value: string): number {
  const ms = parseGoDuration(value);
  if (ms === undefined) {
    const missingUnit = /^[-+]?(\d+(\.\d*)?|\.\d+)$/.test(value) && value !== '0';
    throw new UsageError(`invalid ${flag}: time: ${missingUnit ? 'missing unit in duration' : 'invalid duration'} ${JSON.stringify(value)}`);
  }
  return Math.round(ms * 1e6);
}

/** --health-* flags into the image-config style HealthConfig (durations in nanoseconds). */
export function parseHealthcheck(opts: Opts, changed: Set<string>): HealthConfig | undefined {
  const cmd: string | undefined = changed.has('health-cmd') ? String(opts.healthCmd) : undefined;
  if (cmd === undefined) return undefined;
  if (opts.noHealthcheck) throw new UsageError('cannot specify both --no-healthcheck and --health-cmd');
  if (cmd.trim().toLowerCase() === 'none') return { Test: ['NONE'] };
  if (cmd === '') throw new UsageError('must define a healthcheck command for all healthchecks');
  let test: string[];
  try {
    const parsed = JSON.parse(cmd);
    if (Array.isArray(parsed) && parsed.every((x) => typeof x === 'string') && parsed.length) {
      test = ['CMD', 'CMD-SHELL', 'NONE'].includes(parsed[0]) ? parsed : ['CMD', ...parsed];
    } else test = ['CMD-SHELL', cmd];
  } catch {
    test = ['CMD-SHELL', cmd];
  }
  const interval = String(opts.healthInterval ?? '30s');
  const hc: HealthConfig = { Test: test };
  if (interval === 'disable') hc.Interval = 0;
  else {
    hc.Interval = healthDuration('healthcheck-interval', interval);
    if (hc.Interval < 1e9) throw new UsageError('healthcheck-interval must be at least 1 second');
  }
  hc.Timeout = healthDuration('healthcheck-timeout', String(opts.healthTimeout ?? '30s'));
  if (hc.Timeout < 1e9) throw new UsageError('healthcheck-timeout must be at least 1 second');
  hc.StartPeriod = healthDuration('healthcheck-start-period', String(opts.healthStartPeriod ?? '0s'));
  if (hc.StartPeriod < 0) throw new UsageError('healthcheck-start-period must be 0 seconds or greater');
  hc.Retries = opts.healthRetries ?? 3;
  if (hc.Retries! < 1) throw new UsageError('healthcheck-retries must be greater than 0');
  return hc;
}

/** Environment entries: `KEY=V` kept, `KEY` copied from `hostEnv` (dropped when unset), `PREFIX*` copies matching host vars. */
export function resolveEnv(entries: string[], hostEnv: NodeJS.ProcessEnv): string[] {
  const out: string[] = [];
  for (const e of entries) {
    const eq = e.indexOf('=');
    if (eq > 0) { out.push(e); continue; }
    if (eq === 0) throw new UsageError(`invalid environment variable: "${e}"`);
    if (e.endsWith('*')) {
      const prefix = e.slice(0, -1);
      for (const [k, v] of Object.entries(hostEnv)) if (k.startsWith(prefix) && v !== undefined) out.push(`${k}=${v}`);
      continue;
    }
    const v = hostEnv[e];
    if (v !== undefined) out.push(`${e}=${v}`);
  }
  return out;
}

/** An --env-file: `KEY=VALUE` lines, `KEY` lines copied from the host, `#` comments. */
export function parseEnvFile(file: string, hostEnv: NodeJS.ProcessEnv): string[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`parsing env file "${file}": ${readFileErrorText(e, file)}`);
  }
  const entries: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/^\s+/, '');
    if (!line || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    const key = eq >= 0 ? line.slice(0, eq) : line.trimEnd();
    if (/\s/.test(key)) throw new UsageError(`parsing env file "${file}": variable '${key}' contains whitespaces`);
    entries.push(eq >= 0 ? line : key);
  }
  return resolveEnv(entries, hostEnv);
}


/** Labels from --label-file files then --label flags (`key=value` or `key`). */
export function parseLabels(labelFiles: string[], labels: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  const add = (l: string) => {
    const line = l.trim();
    if (!line) throw new UsageError(`unable to process labels: invalid label format: "${l}"`);
    const eq = line.indexOf('=');
    out[eq >= 0 ? line.slice(0, eq) : line] = eq >= 0 ? line.slice(eq + 1) : '';
  };
  for (const f of labelFiles) {
    let text: string;
    try { text = fs.readFileSync(f, 'utf8'); } catch (e) { throw new UsageError(`unable to process labels: open ${f}: ${errnoText(e)}`); }
    for (const raw of text.split(/\r?\n/)) {
      const line = raw.trim();
      if (line && !line.startsWith('#')) add(line);
    }
  }
  for (const l of labels) add(l);
  return out;
}

/** --entrypoint: a JSON array of strings, or one string (the empty string clears it). */
export function parseEntrypoint(value: string): string[] {
  if (value === '') return [];
  if (value.startsWith('[')) {
    try {
      const a = JSON.parse(value);
      if (Array.isArray(a) && a.every((x) => typeof x === 'string')) return a;
    } catch { /* a plain string */ }
  }
  return [value];
}

const VOLUME_OPTIONS = new Set([
  'rw', 'ro', 'z', 'Z', 'O', 'U', 'copy', 'nocopy', 'suid', 'nosuid', 'exec', 'noexec', 'dev', 'nodev', 'shared', 'rshared', 'slave', 'rslave',
  'private', 'rprivate', 'unbindable', 'runbindable', 'bind', 'rbind', 'idmap', 'noatime', 'atime', 'sync', 'nosync',
]);

function checkContainerPath(p: string): void {
  if (!p.startsWith('/')) throw new UsageError(`invalid container path "${p}", must be an absolute path`);
}

/** -v/--volume: `[host-dir|volume:]ctr-dir[:options]`. */
export function validateVolume(v: string): void {
  const parts = v.split(':');
  if (parts.length > 3) throw new UsageError(`${v}: incorrect volume format, should be [host-dir:]ctr-dir[:option]`);
  if (parts[0] === '') throw new UsageError('host directory cannot be empty');
  const checkOpts = (o: string) => {
    const seen = new Set<string>();
    for (const opt of o.split(',')) {
      const name = opt.split('=')[0];
      if (!VOLUME_OPTIONS.has(name) && !['idmap', 'chown'].includes(name)) throw new UsageError(`invalid option type "${opt}"`);
      const group = name === 'ro' || name === 'rw' ? 'rw' : name;
      if (seen.has(group)) throw new UsageError(`${v}: incorrect volume format, should be [host-dir:]ctr-dir[:option]`);
      seen.add(group);
    }
  };
  if (parts.length === 1) { checkContainerPath(parts[0]); return; }
  if (parts[1] === '') throw new UsageError('container directory cannot be empty');
  if (parts.length === 2 && !parts[1].startsWith('/') && parts[0].startsWith('/') && parts[1].split(',').every((o) => VOLUME_OPTIONS.has(o.split('=')[0]))) {
    // ctr-dir:options (an anonymous volume with options)
    checkOpts(parts[1]);
    return;
  }
  checkContainerPath(parts[1]);
  if (parts.length === 3) checkOpts(parts[2]);
}

/** --image-volume (and containers.conf's image_volume_mode): bind, tmpfs or ignore. */
export function parseImageVolumeMode(v: string): 'bind' | 'tmpfs' | 'ignore' {
  if (v === 'bind' || v === 'tmpfs' || v === 'ignore') return v;
  throw new UsageError(`invalid image volume mode "${v}" required value: bind, tmpfs, ignore`);
}

const MOUNT_KEYS: Record<string, string[]> = {
  common: ['type', 'dst', 'destination', 'target', 'ro', 'readonly', 'rw', 'U', 'chown', 'idmap', 'suid', 'nosuid', 'exec', 'noexec', 'dev', 'nodev', 'z', 'Z', 'relabel', 'consistency'],
  bind: ['src', 'source', 'bind-propagation', 'bind-nonrecursive'],
  volume: ['src', 'source', 'nocopy', 'copy', 'volume-opt'],
  tmpfs: ['tmpfs-size', 'tmpfs-mode', 'tmpcopyup', 'notmpcopyup'],
};

/** --mount type=bind|volume|tmpfs|image,src=...,dst=...[,options]. */
export function validateMount(m: string): void {
  const kv = new Map<string, string | undefined>();
  for (const part of splitCSV([m])) {
    const eq = part.indexOf('=');
    kv.set(eq >= 0 ? part.slice(0, eq) : part, eq >= 0 ? part.slice(eq + 1) : undefined);
  }
  const type = kv.get('type');
  if (type === undefined) {
    throw new UsageError('incorrect mount format: should be --mount type=<bind|tmpfs|volume>,[src=<host-dir|volume-name>,]target=<ctr-dir>[,options]');
  }
  if (type === 'image') { parseImageMount(m); return; }
  if (!['bind', 'volume', 'tmpfs'].includes(type)) throw new UsageError(`invalid filesystem type "${type}"`);
  for (const k of kv.keys()) {
    if (!MOUNT_KEYS.common.includes(k) && !MOUNT_KEYS[type].includes(k)) throw new UsageError(`${k}: invalid mount option`);
  }
  const dst = kv.get('dst') ?? kv.get('destination') ?? kv.get('target');
  if (!dst) throw new UsageError(`must set target path: invalid mount option "${m}"`);
  checkContainerPath(dst);
  if (type === 'tmpfs' && kv.get('tmpfs-size') !== undefined && parseRAM(kv.get('tmpfs-size')!) === undefined) {
    throw new UsageError(`invalid size: '${kv.get('tmpfs-size')}'`);
  }
}

const ULIMITS = new Set(['as', 'core', 'cpu', 'data', 'fsize', 'locks', 'memlock', 'msgqueue', 'nice', 'nofile', 'nproc', 'rss', 'rtprio', 'rttime', 'sigpending', 'stack']);

/** --ulimit name=soft[:hard] (or `host`). */
export function validateUlimit(u: string): void {
  if (u === 'host') return;
  const fail = (why: string): never => { throw new UsageError(`ulimit option "${u}" requires name=SOFT:HARD, failed to be parsed: ${why}`); };
  const eq = u.indexOf('=');
  if (eq < 0) fail(`invalid ulimit argument: ${u}`);
  const name = u.slice(0, eq);
  if (!ULIMITS.has(name)) fail(`invalid ulimit type: ${name}`);
  const parts = u.slice(eq + 1).split(':');
  if (parts.length > 2) fail(`too many limit value arguments - ${u.slice(eq + 1)}, can only have up to two, \`soft[:hard]\``);
  const nums = parts.map((p) => {
    if (!/^-?\d+$/.test(p)) fail(`strconv.ParseInt: parsing "${p}": invalid syntax`);
    return parseInt(p, 10);
  });
  if (nums.length === 2 && nums[0] !== -1 && nums[1] !== -1 && nums[0] > nums[1]) {
    fail(`ulimit soft limit must be less than or equal to hard limit: ${nums[0]} > ${nums[1]}`);
  }
}

export const CAPABILITIES = [
  'CHOWN', 'DAC_OVERRIDE', 'DAC_READ_SEARCH', 'FOWNER', 'FSETID', 'KILL', 'SETGID', 'SETUID', 'SETPCAP', 'LINUX_IMMUTABLE', 'NET_BIND_SERVICE',
  'NET_BROADCAST', 'NET_ADMIN', 'NET_RAW', 'IPC_LOCK', 'IPC_OWNER', 'SYS_MODULE', 'SYS_RAWIO', 'SYS_CHROOT', 'SYS_PTRACE', 'SYS_PACCT', 'SYS_ADMIN',
  'SYS_BOOT', 'SYS_NICE', 'SYS_RESOURCE', 'SYS_TIME', 'SYS_TTY_CONFIG', 'MKNOD', 'LEASE', 'AUDIT_WRITE', 'AUDIT_CONTROL', 'SETFCAP', 'MAC_OVERRIDE',
  'MAC_ADMIN', 'SYSLOG', 'WAKE_ALARM', 'BLOCK_SUSPEND', 'AUDIT_READ', 'PERFMON', 'BPF', 'CHECKPOINT_RESTORE',
].map((c) => `CAP_${c}`);

/** Capability names as podman normalizes them: upper case with the CAP_ prefix; `ALL` kept. */
export function normalizeCaps(caps: string[]): string[] {
  return caps.map((c) => {
    const u = c.trim().toUpperCase();
    if (u === 'ALL') return 'ALL';
    const n = u.startsWith('CAP_') ? u : `CAP_${u}`;
    if (!CAPABILITIES.includes(n)) throw new UsageError(`"${n}": unknown capability`);
    return n;
  });
}

const SECURITY_OPT_KEYS = ['label', 'apparmor', 'seccomp', 'no-new-privileges', 'mask', 'unmask', 'proc-opts', 'systempaths', 'unmask'];

export function validateSecurityOpts(list: string[]): void {
  list.forEach((o, i) => {
    if (o === 'no-new-privileges') return;
    const eq = o.search(/[=:]/);
    const key = eq >= 0 ? o.slice(0, eq) : o;
    if (eq < 0 || !SECURITY_OPT_KEYS.includes(key)) throw new UsageError(`invalid --security-opt ${i + 1}: "${o}"`);
  });
}

/** ipc/pid/uts/cgroupns modes. */
export function validateNamespace(kind: 'ipc' | 'pid' | 'uts' | 'cgroupns', value: string): void {
  if (value === '') return;
  const [mode, arg] = value.split(/:(.*)/s, 2);
  const simple: Record<string, string[]> = {
    ipc: ['host', 'private', 'shareable', 'none'],
    pid: ['host', 'private'],
    uts: ['host', 'private'],
    cgroupns: ['host', 'private'],
  };
  if (mode === 'container' || mode === 'ns') {
    if (!arg) throw new UsageError(`invalid config provided: namespace mode ${mode} requires a value`);
    return;
  }
  if (arg !== undefined || !simple[kind].includes(mode)) throw new UsageError(`unrecognized namespace mode ${value} passed`);
}

/** --userns, --uidmap, --gidmap, --subuidname, --subgidname into CreateOptions, checked as podman checks them. */
function parseUsernsFlags(opts: Opts, has: (n: string) => boolean, c: CreateOptions): void {
  const uidMap = splitCSV(opts.uidmap);
  const gidMap = splitCSV(opts.gidmap);
  const mapped = uidMap.length || gidMap.length || has('subuidname') || has('subgidname');
  if (has('userns') && mapped) throw new UsageError('--userns and --uidmap/--gidmap/--subuidname/--subgidname are mutually exclusive');
  // A pod's members take its user namespace.
  if (has('userns') && has('pod') && !String(opts.pod).startsWith('new:')) throw new UsageError('--userns and --pod cannot be set together');
  if (has('userns')) {
    validateUserns(String(opts.userns));
    if (opts.userns !== '') c.userns = String(opts.userns);
  }
  if (uidMap.length) { parseIdMapFlag(uidMap, 'UID'); c.uidMap = uidMap; }
  if (gidMap.length) { parseIdMapFlag(gidMap, 'GID'); c.gidMap = gidMap; }
  if (has('subuidname') && opts.subuidname) c.subuidName = String(opts.subuidname);
  if (has('subgidname') && opts.subgidname) c.subgidName = String(opts.subgidname);
}

const NETWORK_MODES = ['none', 'host', 'bridge', 'default', 'private', 'slirp4netns', 'pasta'];

/** --network values: modes, container:/ns: forms or network names (with bridge options). */
export function validateNetwork(value: string): void {
  const [mode, arg] = value.split(/:(.*)/s, 2);
  if (mode === 'container' || mode === 'ns') {
    if (!arg) throw new UsageError(`invalid config provided: namespace mode ${mode} requires a value`);
    return;
  }
  if (mode === '') throw new UsageError('network name cannot be empty');
  if (arg === undefined || mode === 'slirp4netns' || mode === 'pasta') return;
  for (const opt of arg.split(',')) {
    const k = opt.split('=')[0];
    if (!['alias', 'ip', 'ip6', 'mac', 'interface_name'].includes(k)) {
      throw new UsageError(`invalid option for network ${mode}: unknown bridge network option: ${k}`);
    }
  }
  if (NETWORK_MODES.includes(mode) && mode !== 'bridge') throw new UsageError(`cannot set options for "${mode}" network mode`);
}

function isIP(s: string): boolean {
  const { isIPv4, isIPv6 } = require('../../network/ipnet') as typeof import('../../network/ipnet');
  return isIPv4(s) || isIPv6(s);
}

/** --detach-keys: a comma separated list of single characters and ctrl-<key>. */
export function validateDetachKeys(keys: string): void {
  if (keys === '') return;
  for (const k of keys.split(',')) {
    if (k.length === 1) continue;
    if (/^ctrl-([a-z@^[\\\]_])$/i.test(k)) continue;
    throw new PierError(`invalid detach keys: Unknown character: '${k}'`, 126);
  }
}

// podman 4.3's namespaced sysctls (ValidateSysctls).
const SYSCTL_PREFIXES = ['net.', 'fs.mqueue.'];
const SYSCTL_EXACT = ['kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.sem', 'kernel.shmall', 'kernel.shmmax', 'kernel.shmmni', 'kernel.shm_rmid_forced'];

export function validateSysctl(s: string): void {
  const parts = s.split('=');
  if (parts.length < 2) throw new UsageError(`${s} is invalid, sysctl values must be in the form of KEY=VALUE`);
  // podman rebuilds KEY=VALUE from the first two parts, trimmed: spaces (or a second =) differ.
  if (`${parts[0].trim()}=${parts[1].trim()}` !== s) throw new UsageError(`'${s}' is invalid, extra spaces found`);
  const key = parts[0];
  if (!SYSCTL_EXACT.includes(key) && !SYSCTL_PREFIXES.some((p) => key.startsWith(p))) throw new UsageError(`sysctl '${key}' is not allowed`);
}

/** --device host[:container[:permissions]]. */
export function validateDevice(d: string): void {
  const parts = d.split(':');
  if (parts.length > 3) throw new UsageError(`invalid device specification: ${d}`);
  const [host] = parts;
  let perm: string | undefined;
  if (parts.length === 2 && !parts[1].startsWith('/')) perm = parts[1];
  else if (parts.length === 3) perm = parts[2];
  if (perm !== undefined && !/^[rwm]{1,3}$/.test(perm)) throw new UsageError(`invalid device mode: ${perm}`);
  if (parts.length >= 2 && perm === undefined && !parts[1].startsWith('/')) throw new UsageError(`invalid device mode: ${parts[1]}`);
  try {
    fs.statSync(host);
  } catch (e) {
    throw new UsageError(`stat ${host}: ${errnoText(e)}`);
  }
}

const PULL_POLICIES: Record<string, CreateOptions['pull']> = {
  always: 'always', Always: 'always', missing: 'missing', Missing: 'missing', ifmissing: 'missing', IfMissing: 'missing', ifnotpresent: 'missing',
  IfNotPresent: 'missing', never: 'never', Never: 'never', newer: 'newer', Newer: 'newer', true: 'always', false: 'never',
};

function platformOf(opts: Opts): { platform?: Platform; str?: string } {
  if (opts.platform) {
    const parts = String(opts.platform).split('/');
    if (parts.length < 2 || parts.length > 3 || parts.some((p) => !p)) {
      throw new UsageError(`invalid platform syntax for --platform=${JSON.stringify(opts.platform)}: use one of the following formats: OS/ARCH, OS/ARCH/VARIANT`);
    }
    return { platform: { os: parts[0], arch: parts[1], variant: parts[2] }, str: String(opts.platform) };
  }
  if (opts.arch || opts.os || opts.variant) {
    const p: Platform = { os: opts.os || undefined, arch: opts.arch || undefined, variant: opts.variant || undefined };
    return { platform: p, str: [p.os ?? 'linux', p.arch ?? process.arch.replace('x64', 'amd64'), p.variant].filter(Boolean).join('/') };
  }
  return {};
}

/** --blkio-weight: a uint16 (its 10 to 1000 range is checked where the host supports weights). */
export function parseBlkioWeight(v: string): number {
  if (!/^[0-9]+$/.test(v)) throw new UsageError(`invalid value for blkio-weight: strconv.ParseUint: parsing ${JSON.stringify(v)}: invalid syntax`);
  const n = Number(v);
  if (n > 65535) throw new UsageError(`invalid value for blkio-weight: strconv.ParseUint: parsing ${JSON.stringify(v)}: value out of range`);
  return n;
}

const THROTTLE_FLAGS = [
  ['device-read-bps', 'deviceReadBps', 'bps'], ['device-write-bps', 'deviceWriteBps', 'bps'],
  ['device-read-iops', 'deviceReadIops', 'iops'], ['device-write-iops', 'deviceWriteIops', 'iops'],
] as const;

export function uintValue(opts: Opts, name: string, short?: string): number {
  const key = name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
  const v = opts[key] as number;
  if (v < 0) {
    const disp = short ? `-${short}, --${name}` : `--${name}`;
    throw new FlagValueError(`invalid argument "${v}" for "${disp}" flag: strconv.ParseUint: parsing "${v}": invalid syntax`);
  }
  return v;
}

// ---------------------------------------------------------------------------------------
// The whole command line

/**
 * Turn `run`/`create` arguments and parsed flags into CreateOptions (and the CLI-only
 * settings). `opts.changed` (a Set of flag names) says which flags the user set.
 */
export function parseCreateOptions(kind: RunKind, args: string[], opts: Opts, hostEnv: NodeJS.ProcessEnv = process.env): ParsedCreate {
  if (args.length < 1) throw new UsageError(`requires at least 1 arg(s), only received ${args.length}`);
  const changed: Set<string> = opts.changed ?? new Set();
  const has = (n: string) => changed.has(n);
  let preserveFds: number | undefined;
  if (kind === 'run' && has('preserve-fds') && uintValue(opts, 'preserve-fds') > 0) {
    preserveFds = Number(opts.preserveFds);
    for (let fd = 3; fd < 3 + preserveFds; fd++) {
      if (!fdInherited(fd)) throw new UsageError(`file descriptor ${fd} is not available - the preserve-fds option requires that file descriptors must be passed`);
    }
  }
  if (has('timeout')) uintValue(opts, 'timeout');
  // Deprecated in the runtime spec: podman accepts any value and only warns.
  if (has('kernel-memory')) log.warn('The --kernel-memory flag is no longer supported. This flag is a noop.');
  // --init-ctr (create only): podman checks --pod itself (not --pod-id-file) before the value.
  if (kind === 'create' && has('init-ctr')) {
    if (!has('pod')) throw new UsageError('must specify pod value with init-ctr');
    if (opts.initCtr !== 'always' && opts.initCtr !== 'once') throw new UsageError("init-ctr value must be 'always' or 'once'");
  }
  if (has('cgroups') && !['enabled', 'disabled', 'no-conmon', 'split'].includes(opts.cgroups)) {
    throw new UsageError(`running container create option: invalid cgroup mode "${opts.cgroups}": invalid argument`);
  }

  const c: CreateOptions = { image: args[0], command: args.slice(1) };
  if (opts.rootfs) {
    c.rootfs = true;
    c.image = path.resolve(args[0].replace(/:O$/, ''));
    if (args[0].endsWith(':O')) c.rootfsOverlay = true;
  }
  if (has('name')) c.name = String(opts.name);
  if (opts.tty) c.tty = true;
  if (opts.interactive) c.interactive = true;

  // Environment: host env, then env files, then --env (later entries win).
  const env: string[] = [];
  if (opts.envHost) {
    c.envHost = true;
    for (const [k, v] of Object.entries(hostEnv)) if (v !== undefined) env.push(`${k}=${v}`);
  }
  if (has('http-proxy')) c.httpProxy = !!opts.httpProxy;
  for (const f of splitCSV(opts.envFile)) env.push(...parseEnvFile(f, hostEnv));
  env.push(...resolveEnv(opts.env ?? [], hostEnv));
  if (env.length) c.env = env;
  if (opts.unsetenv?.length) c.unsetEnv = [...opts.unsetenv];
  if (opts.unsetenvAll) c.unsetEnvAll = true;
  if (opts.envMerge?.length) c.envMerge = [...opts.envMerge];

  const labelFiles = splitCSV(opts.labelFile);
  if (labelFiles.length || opts.label?.length) c.labels = parseLabels(labelFiles, opts.label ?? []);
  // Run by a generated unit (docs/systemd.md): the unit's name becomes a label, as podman records it.
  const unit = process.env.PODMAN_SYSTEMD_UNIT;
  if (unit !== undefined) c.labels = { ...c.labels, PODMAN_SYSTEMD_UNIT: unit };
  const annotations = splitCSV(opts.annotation);
  if (annotations.length) {
    c.annotations = {};
    for (const a of annotations) {
      const eq = a.indexOf('=');
      if (eq <= 0) throw new UsageError('annotations must be formatted KEY=VALUE');
      c.annotations[a.slice(0, eq)] = a.slice(eq + 1);
    }
  }

  if (has('entrypoint')) c.entrypoint = parseEntrypoint(String(opts.entrypoint));
  if (has('workdir')) {
    if (!String(opts.workdir).startsWith('/')) throw new UsageError(`workdir "${opts.workdir}" must be an absolute path`);
    c.workdir = String(opts.workdir);
  }
  if (has('user') && opts.user !== '') c.user = String(opts.user);
  let groups = splitCSV(opts.groupAdd).filter((g) => g !== '');
  // keep-groups: podman's annotation for crun (which keeps the caller's supplementary groups; runc ignores it), alone.
  if (groups.includes('keep-groups')) {
    if (groups.length > 1) throw new UsageError("the '--group-add keep-groups' option is not allowed with any other --group-add options");
    c.annotations = { ...(c.annotations ?? {}), 'run.oci.keep_original_groups': '1' };
    groups = [];
  }
  if (groups.length) c.groupAdd = groups;
  if (kind === 'run' && opts.passwd === false) c.passwd = false;
  if (has('passwd-entry') && opts.passwdEntry !== '') c.passwdEntry = String(opts.passwdEntry);
  if (has('sdnotify')) c.sdnotify = String(opts.sdnotify);
  const hostUsers = splitCSV(opts.hostuser).filter((u) => u !== '');
  if (hostUsers.length) c.hostUsers = hostUsers;
  if (has('hostname') && opts.hostname !== '') c.hostname = String(opts.hostname);

  // Storage.
  if (opts.volume?.length) { for (const v of opts.volume) validateVolume(v); c.volumes = [...opts.volume]; }
  if (opts.mount?.length) { for (const m of opts.mount) validateMount(m); c.mounts = [...opts.mount]; }
  if (opts.tmpfs?.length) {
    for (const t of opts.tmpfs as string[]) checkContainerPath(t.split(':')[0]);
    c.tmpfs = [...opts.tmpfs];
  }
  if (opts.volumesFrom?.length) c.volumesFrom = [...opts.volumesFrom];
  if (has('image-volume')) c.imageVolume = parseImageVolumeMode(String(opts.imageVolume));
  if (opts.secret?.length) {
    const { parseSecretFlag } = require('../../domain/secrets') as typeof import('../../domain/secrets');
    c.secrets = (opts.secret as string[]).map(parseSecretFlag);
  }

  // Network.
  const addHost = splitCSV(opts.addHost);
  const { parseAddHost } = require('../../engine/etc-files') as typeof import('../../engine/etc-files');
  for (const h of addHost) parseAddHost(h);
  if (addHost.length) c.addHost = addHost;
  if (has('no-hosts')) c.noHosts = !!opts.noHosts;
  if (c.noHosts && addHost.length) throw new UsageError('--no-hosts and --add-host cannot be set together');
  const dns = splitCSV(opts.dns);
  for (const d of dns) if (d !== 'none' && !isIP(d)) throw new UsageError(`${d} is not an ip address`);
  if (dns.length) c.dns = dns;
  const dnsSearch = splitCSV(opts.dnsSearch);
  if (dnsSearch.length) c.dnsSearch = dnsSearch;
  const dnsOption = splitCSV(opts.dnsOption).filter((o) => o !== '');
  if (dnsOption.length) c.dnsOption = dnsOption;
  const networks: string[] = [...(opts.network ?? []), ...(opts.net ?? [])];
  // podman 4.3 (kept for compatibility): a first value with no options may list networks by commas.
  if (networks.length && !networks[0].includes(':') && networks[0].includes(',')) networks.splice(0, 1, ...networks[0].split(','));
  for (const n of networks) validateNetwork(n);
  if (networks.length) { c.network = networks[0]; c.networks = networks; }
  const publish = (opts.publish ?? []) as string[];
  if (publish.length) {
    const { parsePublish } = require('../../network/ports') as typeof import('../../network/ports');
    for (const p of publish) parsePublish(p);
    c.publish = publish;
  }
  if (opts.publishAll) c.publishAll = true;
  const expose = splitCSV(opts.expose);
  if (expose.length) c.expose = expose;
  const aliases = splitCSV(opts.networkAlias);
  if (aliases.length) c.networkAliases = aliases;
  // podman: each of --ip and --ip6 is parsed, then allowed only with a single bridge network.
  for (const flag of ['ip', 'ip6'] as const) {
    const v = opts[flag] as string | undefined;
    if (!v) continue;
    if (!isIP(v) || v.includes('%')) throw new UsageError(`${JSON.stringify(v)} is not an ip address`);
    const mode = networks[0]?.split(':')[0];
    if (mode && (NETWORK_MODES.includes(mode) && mode !== 'bridge' && mode !== 'default' || mode === 'container' || mode === 'ns')) {
      throw new UsageError(`--${flag} can only be set when the network mode is bridge: invalid argument`);
    }
    if (networks.length > 1) throw new UsageError(`--${flag} can only be set for a single network: invalid argument`);
    c[flag] = v;
  }
  if (opts.macAddress) {
    if (!/^([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}$/.test(opts.macAddress)) throw new UsageError(`invalid MAC address ${opts.macAddress}`);
    c.macAddress = opts.macAddress;
  }

  // Lifecycle.
  if (has('restart')) c.restart = parseRestartPolicy(String(opts.restart));
  if (opts.rm) {
    c.rm = true;
    if (c.restart && c.restart.name !== 'no' && c.restart.name !== '') throw new UsageError('the --rm option conflicts with --restart, when the restartPolicy is not "" and "no"');
  }
  if (has('stop-signal')) {
    parseSignal(String(opts.stopSignal));
    c.stopSignal = String(opts.stopSignal);
  }
  if (has('stop-timeout')) c.stopTimeout = uintValue(opts, 'stop-timeout');
  if (has('timeout') && opts.timeout > 0) c.timeout = opts.timeout;
  const requires = splitCSV(opts.requires).filter((r) => r !== '');
  if (requires.length) c.requires = requires;
  if (opts.replace) c.replace = true;
  if (has('pod') && opts.pod !== '') c.pod = String(opts.pod);
  if (has('pod-id-file') && opts.podIdFile !== '') {
    if (c.pod) throw new UsageError('cannot specify both --pod and --pod-id-file');
    // podman: the file's first line, as it is (an empty one is no pod).
    let text: string;
    try { text = fs.readFileSync(String(opts.podIdFile), 'utf8'); } catch (e) {
      throw new UsageError(`reading pod ID file: ${readFileErrorText(e, String(opts.podIdFile))}`);
    }
    const id = text.split('\n')[0];
    if (id !== '') c.pod = id;
  }
  if (kind === 'create' && has('init-ctr')) c.initContainerType = opts.initCtr;
  if (opts.pidfile) c.pidFile = path.resolve(String(opts.pidfile));
  if (opts.conmonPidfile) c.conmonPidFile = path.resolve(String(opts.conmonPidfile));

  // Resources.
  if (has('memory')) c.memory = ramOrThrow(String(opts.memory), 'invalid value for memory: ');
  if (has('memory-swap')) c.memorySwap = opts.memorySwap === '-1' ? -1 : ramOrThrow(String(opts.memorySwap), 'invalid value for memory: ');
  // podman: above 100 is refused, a negative value (not only -1) is the system default.
  if (has('memory-swappiness') && opts.memorySwappiness > 100) throw new UsageError(`invalid value: ${opts.memorySwappiness}, valid memory swappiness range is 0-100`);
  if (has('memory-swappiness') && opts.memorySwappiness >= 0) c.memorySwappiness = opts.memorySwappiness;
  if (has('memory-reservation')) c.memoryReservation = ramOrThrow(String(opts.memoryReservation), 'invalid value for memory: ');
  if (c.memory && c.memorySwap !== undefined && c.memorySwap !== -1 && c.memorySwap !== 0 && c.memorySwap < c.memory) {
    throw new UsageError('minimum memoryswap limit should be larger than memory limit, see usage');
  }
  if (c.memorySwap !== undefined && c.memorySwap > 0 && !c.memory) throw new UsageError('you should always set a memory limit when using a memoryswap limit, see usage');
  if (has('cpus')) {
    const v = String(opts.cpus);
    const n = Number(v);
    if (v.trim() === '' || !/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(v.trim()) || isNaN(n)) {
      throw new FlagValueError(`invalid argument "${v}" for "--cpus" flag: strconv.ParseFloat: parsing "${v}": invalid syntax`);
    }
    if (n < 0) throw new UsageError('cpus cannot be negative');
    c.cpus = n;
  }
  if (has('cpus') && has('cpu-period')) throw new UsageError('--cpu-period and --cpus cannot be set together');
  if (has('cpus') && has('cpu-quota')) throw new UsageError('--cpu-quota and --cpus cannot be set together');
  // podman keeps only positive CFS and real-time values (a negative quota or runtime is no limit).
  if (has('cpu-period') && uintValue(opts, 'cpu-period') > 0) c.cpuPeriod = opts.cpuPeriod;
  if (has('cpu-quota') && opts.cpuQuota > 0) c.cpuQuota = opts.cpuQuota;
  if (has('cpu-rt-period') && uintValue(opts, 'cpu-rt-period') > 0) c.cpuRtPeriod = opts.cpuRtPeriod;
  if (has('cpu-rt-runtime') && opts.cpuRtRuntime > 0) c.cpuRtRuntime = opts.cpuRtRuntime;
  if (has('cpu-shares')) c.cpuShares = uintValue(opts, 'cpu-shares', 'c');
  if (has('cpuset-cpus')) c.cpusetCpus = String(opts.cpusetCpus);
  if (has('cpuset-mems')) c.cpusetMems = String(opts.cpusetMems);
  if (has('pids-limit')) c.pidsLimit = opts.pidsLimit;
  const ulimits = splitCSV(opts.ulimit);
  for (const u of ulimits) validateUlimit(u);
  if (ulimits.length) c.ulimits = ulimits;
  if (has('shm-size')) c.shmSize = ramOrThrow(String(opts.shmSize), 'unable to translate --shm-size: ');
  if (has('oom-score-adj')) c.oomScoreAdj = opts.oomScoreAdj;
  if (opts.oomKillDisable) c.oomKillDisable = true;
  if (has('blkio-weight')) c.blkioWeight = parseBlkioWeight(String(opts.blkioWeight));
  const weightDevices = splitCSV(opts.blkioWeightDevice).map(parseWeightDevice);
  if (weightDevices.length) c.blkioWeightDevice = dedupeDeviceValues(weightDevices);
  for (const [flag, key, unit] of THROTTLE_FLAGS) {
    const list = splitCSV(opts[flag.replace(/-([a-z])/g, (_, ch: string) => ch.toUpperCase())]).map((v) => parseThrottleDevice(v, unit));
    if (list.length) c[key] = dedupeDeviceValues(list);
  }

  // Security.
  const capAdd = splitCSV(opts.capAdd);
  if (capAdd.length) c.capAdd = normalizeCaps(capAdd);
  const capDrop = splitCSV(opts.capDrop);
  if (capDrop.length) c.capDrop = normalizeCaps(capDrop);
  if (opts.privileged) c.privileged = true;
  if (opts.securityOpt?.length) { validateSecurityOpts(opts.securityOpt); c.securityOpt = [...opts.securityOpt]; }
  if (opts.readOnly) c.readOnly = true;
  if (has('read-only-tmpfs') || opts.readOnly) c.readOnlyTmpfs = opts.readOnlyTmpfs !== false;
  const devices = splitCSV(opts.device);
  for (const d of devices) validateDevice(d);
  if (devices.length) c.devices = devices;
  const rules = splitCSV(opts.deviceCgroupRule);
  for (const r of rules) parseDeviceCgroupRule(r);
  if (rules.length) c.deviceCgroupRules = rules;
  if (opts.personality) c.personality = String(opts.personality);
  const sysctls = splitCSV(opts.sysctl);
  for (const sc of sysctls) validateSysctl(sc);
  if (sysctls.length) c.sysctl = sysctls;
  parseUsernsFlags(opts, has, c);
  for (const ns of ['ipc', 'pid', 'uts', 'cgroupns'] as const) {
    if (has(ns)) { validateNamespace(ns, String(opts[ns])); if (opts[ns]) c[ns] = String(opts[ns]); }
  }
  // podman's spec validation: a /dev/shm size needs an IPC namespace of the container's own.
  if (c.shmSize !== undefined && (c.ipc === 'host' || c.ipc === 'none')) {
    throw new UsageError(`invalid config provided: cannot set shmsize when running in the {${c.ipc} } IPC Namespace`);
  }
  if (has('cgroup-parent') && opts.cgroupParent) c.cgroupParent = String(opts.cgroupParent);
  const cgroupConf = splitCSV(opts.cgroupConf);
  if (cgroupConf.length) {
    c.cgroupConf = {};
    for (const kv of cgroupConf) {
      const eq = kv.indexOf('=');
      if (eq < 0) throw new UsageError('--cgroup-conf must be formatted KEY=VALUE');
      c.cgroupConf[kv.slice(0, eq)] = kv.slice(eq + 1);
    }
    if (!fs.existsSync('/sys/fs/cgroup/cgroup.controllers')) throw new UsageError('cannot use --cgroup-conf without cgroup v2');
  }
  const chrootDirs = splitCSV(opts.chrootdirs);
  if (chrootDirs.length) c.chrootDirs = chrootDirs;
  if (opts.init) c.init = true;
  if (has('init-path') && opts.initPath) {
    if (!opts.init) throw new UsageError('--init-path requires --init');
    c.initPath = String(opts.initPath);
  }
  if (has('umask')) {
    if (!/^[0-7]{1,4}$/.test(String(opts.umask))) throw new UsageError(`running container create option: invalid umask string ${opts.umask}: invalid argument`);
    c.umask = String(opts.umask);
  }
  if (has('systemd')) {
    const v = String(opts.systemd);
    if (v !== 'true' && v !== 'false' && v !== 'always') throw new UsageError('invalid config provided: --systemd values must be one of "true, false, always": invalid configuration');
    c.systemd = v;
  }
  if (has('tz') && opts.tz) {
    const tz = String(opts.tz);
    if (tz !== 'local') {
      const file = path.join('/usr/share/zoneinfo', tz);
      if (!fs.existsSync(file)) throw new UsageError(`running container create option: stat ${file}: no such file or directory`);
    }
    c.tz = tz;
  }

  // Logging.
  if (has('log-driver')) {
    const d = String(opts.logDriver);
    if (!['k8s-file', 'json-file', 'none', 'passthrough'].includes(d)) throw new UsageError('running container create option: invalid log driver: invalid argument');
    if (d === 'passthrough' && (kind === 'create' || opts.detach)) throw new UsageError('passthrough logging driver is not supported in detached mode');
    c.logDriver = d;
  }
  const logOpts = splitCSV(opts.logOpt);
  for (const l of logOpts) {
    const eq = l.indexOf('=');
    if (eq <= 0) throw new UsageError(`invalid log option "${l}"`);
    const [k, v] = [l.slice(0, eq), l.slice(eq + 1)];
    if (k === 'max-size' && parseRAM(v) === undefined) throw new UsageError(`invalid size: '${v}'`);
  }
  if (logOpts.length) c.logOpts = logOpts;

  // Health.
  const hc = parseHealthcheck(opts, changed);
  if (hc) c.healthcheck = hc;
  if (opts.noHealthcheck) c.noHealthcheck = true;
  if (has('health-on-failure')) {
    const a = String(opts.healthOnFailure);
    if (!(HEALTH_ON_FAILURE_ACTIONS as readonly string[]).includes(a)) {
      throw new UsageError(`invalid on-failure action "${a}" for health check: supported actions are ${HEALTH_ON_FAILURE_ACTIONS.join(',')}`);
    }
    if (a !== 'none') c.healthOnFailure = a as HealthOnFailure;
  }

  // Image pulling.
  if (has('pull')) {
    const p = PULL_POLICIES[String(opts.pull)];
    if (!p) throw new UsageError(`unsupported pull policy "${opts.pull}"`);
    c.pull = p;
  }
  const { platform, str } = platformOf(opts);
  if (opts.platform && (opts.arch || opts.os)) throw new UsageError('--platform option can not be specified with --arch or --os');
  if (str) c.platform = str;
  const pullOptions: PullOptions = {};
  if (platform) pullOptions.platform = platform;
  if (has('tls-verify')) pullOptions.tlsVerify = !!opts.tlsVerify;
  if (opts.creds) pullOptions.creds = String(opts.creds);
  if (opts.authfile) {
    try { fs.statSync(opts.authfile); } catch (e) { throw new UsageError(`checking authfile: stat ${opts.authfile}: ${errnoText(e)}`); }
    pullOptions.authfile = String(opts.authfile);
  }
  if (opts.certDir) pullOptions.certDir = String(opts.certDir);
  if (Object.keys(pullOptions).length) c.pullOptions = pullOptions;

  let attach: string[] | undefined;
  if (has('attach')) {
    attach = [];
    for (const a of splitCSV(opts.attach)) {
      attach.push(a.toLowerCase());
      if (!['stdin', 'stdout', 'stderr'].includes(a.toLowerCase())) {
        throw new UsageError(`invalid stream "${a}" for --attach - must be one of stdin, stdout, or stderr: invalid argument`);
      }
    }
    if (opts.detach) throw new UsageError('--attach and --detach cannot be set at the same time');
    if (kind === 'run' && c.logDriver === 'passthrough') throw new UsageError('cannot specify --attach with --log-driver=passthrough: invalid argument');
  }

  let detachKeys: string | undefined;
  if (kind === 'run') {
    detachKeys = String(opts.detachKeys ?? DEFAULT_DETACH_KEYS);
    validateDetachKeys(detachKeys);
    if (opts.rmi) c.rmi = true;
  }
  // Rootless on cgroup v1 a container has no cgroup of its own: podman drops its limits, with a warning.
  if (process.getuid?.() === 0 && inRootlessUserns() && !fs.existsSync('/sys/fs/cgroup/cgroup.controllers') && dropResources(c)) {
    writeStderr('Resource limits are not supported and ignored on cgroups V1 rootless systems\n');
  }
  const cidfile = opts.cidfile ? String(opts.cidfile) : undefined;
  return {
    create: c,
    detach: kind === 'run' && !!opts.detach,
    detachKeys,
    sigProxy: kind === 'run' ? opts.sigProxy !== false : false,
    cidfile,
    quiet: !!opts.quiet,
    rmi: kind === 'run' && !!opts.rmi,
    ...(preserveFds ? { preserveFds } : {}),
    ...(kind === 'run' && attach ? { attach } : {}),
  };
}
