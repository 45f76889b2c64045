// `pier build` (also `image build`, `buildx build`): builds an image from a Containerfile or
// Dockerfile. The context is a directory, a tarball, or `-` (a tarball on stdin).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CommandDef, FlagDef, Opts } from '../parser';
import { Ctx } from '../context';
import type { BuildOptions, BuildContextSource, BuildOutputTarget, RunStepOptions } from '../../domain/build';
import { UsageError, PierError, errnoText } from '../../util/errors';
import { authfileFlag, credsFlag, tlsVerifyFlag, registryOptions, checkAuthFile } from './images';
import { writeStdout, writeStderr } from '../../util/stdio';
import { detectCompression } from '../../storage/tar/decompress';

function keyValues(list: string[], what: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of list) {
    const eq = item.indexOf('=');
    if (eq <= 0) {
      // --build-arg NAME takes the value from the environment, as docker does.
      if (what === 'build-arg' && eq < 0 && process.env[item] !== undefined) { out[item] = process.env[item]!; continue; }
      if (what === 'build-arg' && eq < 0) continue;
      // buildah: a --label or --annotation without '=' has an empty value (one without a key is skipped).
      if (what === 'label' || what === 'annotation') { if (eq < 0) out[item] = ''; continue; }
      throw new UsageError(`invalid --${what} "${item}": must be NAME=VALUE`);
    }
    out[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return out;
}

async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** Extracts a tarball context (a file, or stdin's bytes) into a private directory. */
async function extractContext(source: string | Buffer, tmp: string): Promise<string> {
  const { extractBuildContext } = require('../../build/context') as typeof import('../../build/context');
  const { Readable } = require('node:stream') as typeof import('node:stream');
  return extractBuildContext(typeof source === 'string' ? fs.createReadStream(source) : Readable.from([source]), tmp);
}

/** podman's flags that pier does not implement: accepted by the parser, an error when used. */
const UNSUPPORTED: Record<string, string> = {
  'all-platforms': 'building for every platform of the base image (--all-platforms) is not supported by pier: build once per platform (--platform) with --manifest',
  'cache-from': 'registry-backed build caches (--cache-from) are not supported by pier',
  'cache-to': 'registry-backed build caches (--cache-to) are not supported by pier',
  'decryption-key': 'encrypted images (--decryption-key) are not supported by pier',
  ssh: 'SSH agent forwarding (--ssh) is not supported by pier',
  userns: 'user namespaces for RUN (--userns) are not supported by pier',
  'userns-uid-map': 'user namespaces for RUN (--userns-uid-map) are not supported by pier',
  'userns-gid-map': 'user namespaces for RUN (--userns-gid-map) are not supported by pier',
  'userns-uid-map-user': 'user namespaces for RUN (--userns-uid-map-user) are not supported by pier',
  'userns-gid-map-group': 'user namespaces for RUN (--userns-gid-map-group) are not supported by pier',
};

/** podman 4.3.1's `build` flags, in its help's wording. */
function buildFlags(): FlagDef[] {
  const s = (name: string, help: string, extra: Partial<FlagDef> = {}): FlagDef => ({ name, type: 'string', help, ...extra });
  const ss = (name: string, help: string, extra: Partial<FlagDef> = {}): FlagDef => ({ name, type: 'stringArray', valueName: 'strings', help, ...extra });
  const sa = (name: string, help: string, extra: Partial<FlagDef> = {}): FlagDef => ({ name, type: 'stringArray', help, ...extra });
  const b = (name: string, help: string, extra: Partial<FlagDef> = {}): FlagDef => ({ name, type: 'bool', help, ...extra });
  return [
    ss('add-host', 'add a custom host-to-IP mapping (host:ip) (default [])', { valueName: 'host:ip' }),
    b('all-platforms', 'attempt to build for all base image platforms'),
    sa('annotation', 'set metadata for an image (default [])'),
    s('arch', 'set the ARCH of the image to the provided value instead of the architecture of the host'),
    authfileFlag,
    sa('build-arg', 'argument=value to supply to the builder', { valueName: 'argument=value' }),
    sa('build-arg-file', 'argfile.conf containing lines of argument=value to supply to the builder', { valueName: 'argfile.conf' }),
    sa('build-context', 'argument=value to supply additional build context to the builder', { valueName: 'argument=value' }),
    s('cache-from', 'remote repository to utilise as potential cache source.'),
    s('cache-to', 'remote repository to utilise as potential cache destination.'),
    s('cache-ttl', 'only consider cache images under specified duration.'),
    ss('cap-add', 'add the specified capability when running (default [])'),
    ss('cap-drop', 'drop the specified capability when running (default [])'),
    s('cert-dir', 'use certificates at the specified path to access the registry'),
    s('cgroup-parent', 'optional parent cgroup for the container'),
    s('cgroupns', "'private', or 'host'"),
    b('compress', 'this is a legacy option, which has no effect on the image'),
    sa('cpp-flag', 'set additional flag to pass to C preprocessor (cpp)'),
    { name: 'cpu-period', type: 'int', valueName: 'uint', help: 'limit the CPU CFS (Completely Fair Scheduler) period' },
    { name: 'cpu-quota', type: 'int', help: 'limit the CPU CFS (Completely Fair Scheduler) quota' },
    { name: 'cpu-shares', short: 'c', type: 'int', valueName: 'uint', help: 'CPU shares (relative weight)' },
    s('cpuset-cpus', 'CPUs in which to allow execution (0-3, 0,1)'),
    s('cpuset-mems', 'memory nodes (MEMs) in which to allow execution (0-3, 0,1). Only effective on NUMA systems.'),
    credsFlag,
    ss('decryption-key', 'key needed to decrypt the image'),
    sa('device', 'additional devices to be used within containers (default [])'),
    b('disable-compression', "don't compress layers by default", { short: 'D', default: true }),
    b('disable-content-trust', 'this is a Docker specific option and is a NOOP'),
    ss('dns', "set custom DNS servers or disable it completely by setting it to 'none', which prevents the automatic creation of /etc/resolv.conf.", { valueName: '/etc/resolv.conf' }),
    ss('dns-option', 'set custom DNS options'),
    ss('dns-search', 'set custom DNS search domains'),
    sa('env', 'set environment variable for the image'),
    { name: 'file', short: 'f', type: 'stringArray', valueName: 'pathname or URL', help: 'pathname or URL of a Dockerfile' },
    b('force-rm', 'always remove intermediate containers after a build, even if the build is unsuccessful.', { default: true }),
    s('format', "format of the built image's manifest and metadata. Use BUILDAH_FORMAT environment variable to override.", { default: process.env.BUILDAH_FORMAT || 'oci', valueName: 'format' }),
    s('from', 'image name used to replace the value in the first FROM instruction in the Containerfile'),
    sa('hooks-dir', 'set the OCI hooks directory path (may be set multiple times)'),
    b('http-proxy', 'pass through HTTP Proxy environment variables', { default: true }),
    b('identity-label', 'add default identity label', { default: true }),
    s('ignorefile', 'path to an alternate .dockerignore file'),
    s('iidfile', 'file to write the image ID to', { valueName: 'file' }),
    s('ipc', "'private', path of IPC namespace to join, or 'host'", { valueName: 'path' }),
    s('isolation', 'type of process isolation to use. Use BUILDAH_ISOLATION environment variable to override.', { valueName: 'type', default: process.env.BUILDAH_ISOLATION || 'oci' }),
    { name: 'jobs', type: 'int', default: 1, help: 'how many stages to run in parallel' },
    sa('label', 'set metadata for an image (default [])'),
    b('layers', 'cache intermediate layers during build. Use BUILDAH_LAYERS environment variable to override.', { default: true }),
    s('logfile', 'log to file instead of stdout/stderr', { valueName: 'file' }),
    b('logsplit', 'split logfile to different files for each platform'),
    s('manifest', 'add the image to the specified manifest list. Creates manifest list if it does not exist'),
    s('memory', 'memory limit (format: <number>[<unit>], where unit = b, k, m or g)', { short: 'm' }),
    s('memory-swap', "swap limit equal to memory plus swap: '-1' to enable unlimited swap"),
    s('network', "'private', 'none', 'ns:path' of network namespace to join, or 'host'"),
    b('no-cache', 'do not use existing cached images for the container build. Build from the start with a new set of cached layers.'),
    b('no-hosts', 'do not create new /etc/hosts files for RUN instructions, use the one from the base image.'),
    b('omit-history', 'omit build history information from built image'),
    s('os', 'set the OS to the provided value instead of the current operating system of the host'),
    sa('os-feature', 'set required OS feature for the target image in addition to values from the base image', { valueName: 'feature' }),
    s('os-version', 'set required OS version for the target image instead of the value from the base image', { valueName: 'version' }),
    s('output', 'output destination (format: type=local,dest=path)', { short: 'o' }),
    s('pid', "private, path of PID namespace to join, or 'host'", { valueName: 'path' }),
    s('platform', 'set the OS/ARCH[/VARIANT] of the image to the provided value instead of the current operating system and architecture of the host'),
    // podman's: shown as "true", which pulls a missing image only unless given (--pull, --pull=true: always).
    s('pull', 'Always attempt to pull the image (errors are fatal)', { noOptDefault: 'true', default: 'true' }),
    b('pull-always', 'pull the image even if the named image is present in store', { hidden: true }),
    b('pull-never', 'do not pull the image, use the image present in store if available', { hidden: true }),
    b('quiet', 'refrain from announcing build instructions and image read/write progress', { short: 'q' }),
    { name: 'retry', type: 'int', default: 3, help: 'number of times to retry in case of failure when performing push/pull' },
    s('retry-delay', 'delay between retries in case of push/pull failures', { default: '2s' }),
    b('rm', 'remove intermediate containers after a successful build', { default: true }),
    ss('runtime-flag', 'add global flags for the container runtime'),
    sa('secret', 'secret file to expose to the build'),
    sa('security-opt', 'security options (default [])'),
    s('shm-size', "size of '/dev/shm'. The format is <number><unit>.", { default: '65536k', valueName: '<number><unit>' }),
    s('sign-by', 'sign the image using a GPG key with the specified FINGERPRINT', { valueName: 'FINGERPRINT' }),
    b('skip-unused-stages', 'skips stages in multi-stage builds which do not affect the final target', { default: true }),
    b('squash', 'squash newly built layers into a single new layer'),
    b('squash-all', 'Squash all layers into a single layer'),
    sa('ssh', 'SSH agent socket or keys to expose to the build. (format: default|<id>[=<socket>|<key>[,<key>]])'),
    b('stdin', 'pass stdin into containers'),
    { name: 'tag', short: 't', type: 'stringArray', valueName: 'name', help: 'tagged name to apply to the built image' },
    s('target', 'set the target build stage to build'),
    { name: 'timestamp', type: 'int', help: 'set created timestamp to the specified epoch seconds to allow for deterministic builds, defaults to current time' },
    tlsVerifyFlag,
    ss('ulimit', 'ulimit options (default [nproc=32768:32768])'),
    ss('unsetenv', 'unset environment variable from final image'),
    s('userns', "'container', path of user namespace to join, or 'host'", { valueName: 'path' }),
    ss('userns-gid-map', 'containerGID:hostGID:length GID mapping to use in user namespace', { valueName: 'containerGID:hostGID:length' }),
    s('userns-gid-map-group', 'name of entries from /etc/subgid to use to set user namespace GID mapping', { valueName: 'name' }),
    ss('userns-uid-map', 'containerUID:hostUID:length UID mapping to use in user namespace', { valueName: 'containerUID:hostUID:length' }),
    s('userns-uid-map-user', 'name of entries from /etc/subuid to use to set user namespace UID mapping', { valueName: 'name' }),
    s('uts', "private, :path of UTS namespace to join, or 'host'", { valueName: 'path' }),
    s('variant', 'override the variant of the specified image', { valueName: 'variant' }),
    sa('volume', 'bind mount a volume into the container', { short: 'v' }),
    // buildx build's --load and --progress are accepted (and ignored), as podman does.
    b('load', 'buildx --load', { hidden: true }),
    s('progress', 'buildx --progress', { hidden: true, default: 'auto' }),
  ];
}

/** --volume HOST-DIR:CONTAINER-DIR[:OPTIONS], checked as buildah does (both paths absolute, the host's existing). */
function checkVolume(v: string): void {
  const { splitVolume } = require('../../build/executor') as typeof import('../../build/executor');
  const parts = splitVolume(v);
  if (parts.length < 2) throw new UsageError(`incorrect volume format ${JSON.stringify(v)}, should be host-dir:ctr-dir[:option]`);
  if (!path.isAbsolute(parts[0])) throw new UsageError(`invalid host path, must be an absolute path ${JSON.stringify(parts[0])}`);
  try { fs.statSync(parts[0]); } catch (e) { throw new UsageError(`stat ${parts[0]}: ${errnoText(e)}`); }
  if (!path.isAbsolute(parts[1])) throw new UsageError(`invalid container path ${JSON.stringify(parts[1])}, must be an absolute path`);
  if (parts.length < 3) return;
  const options = parts.slice(2).join(':').split(',');
  const groups: [string[], string][] = [
    [['noexec', 'exec'], "1 'noexec' or 'exec' option"], [['nodev', 'dev'], "1 'nodev' or 'dev' option"], [['nosuid', 'suid'], "1 'nosuid' or 'suid' option"],
    [['rw', 'ro'], "1 'rw' or 'ro' option"], [['z', 'Z', 'O'], "1 'z', 'Z', or 'O' option"], [['U'], "1 'U' option"],
    [['private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave', 'unbindable', 'runbindable'], "1 '[r]shared', '[r]private', '[r]slave' or '[r]unbindable' option"],
    [['bind', 'rbind'], "1 '[r]bind' option"], [['copy', 'nocopy'], "1 'copy' or 'nocopy' option"],
  ];
  const seen = new Map<string, number>();
  for (const o of options) {
    if (o === 'cached' || o === 'delegated') continue;
    const g = groups.find(([names]) => names.includes(o));
    if (!g) throw new UsageError(`invalid option type ${JSON.stringify(o)}`);
    seen.set(g[1], (seen.get(g[1]) ?? 0) + 1);
    if (seen.get(g[1])! > 1) throw new UsageError(`invalid options ${JSON.stringify(options.join(', '))}, can only specify ${g[1]}`);
  }
  if (options.includes('O')) throw new UsageError(`overlay volumes (${v}) are not supported by pier`);
}

/** --ipc, --pid, --uts, --cgroupns: private (or "" or container), host, or a namespace path that exists. */
function namespaceValue(flag: string, value: string): string {
  if (value === '' || value === 'container' || value === 'private') return 'private';
  if (value === 'host') return 'host';
  const p = value.replace(/^ns:/, '');
  try { fs.statSync(p); } catch (e) { throw new UsageError(`checking ${flag === 'cgroupns' ? 'cgroup' : flag} namespace: stat ${p}: ${errnoText(e)}`); }
  return `ns:${p}`;
}

/** --output: type=local|tar,dest=PATH, a directory, or `-` (a tar on stdout). */
export function parseBuildOutput(v: string): BuildOutputTarget {
  const fail = (m: string): never => { throw new UsageError(`failed to parse build output: ${m}`); };
  if (v === '-') return { type: 'tar', stream: process.stdout };
  if (!v.includes(',')) return { type: 'local', dest: v };
  let type: 'local' | 'tar' | undefined;
  let dest: string | undefined;
  for (const opt of v.split(',')) {
    const eq = opt.indexOf('=');
    if (eq < 0) fail(`invalid build output options ${JSON.stringify(v)}, expected format key=value`);
    const [k, val] = [opt.slice(0, eq), opt.slice(eq + 1)];
    if (k === 'type') {
      if (type) fail(`duplicate "type" not supported`);
      if (val !== 'local' && val !== 'tar') fail(`invalid type ${JSON.stringify(val)} selected for build output options ${JSON.stringify(v)}`);
      type = val as 'local' | 'tar';
    } else if (k === 'dest') {
      if (dest !== undefined) fail(`duplicate "dest" not supported`);
      dest = val;
    } else fail(`unrecognized key ${JSON.stringify(k)} in build output option: ${JSON.stringify(v)}`);
  }
  if (!type || dest === undefined) return fail(`invalid build output option ${JSON.stringify(v)}, accepted keys are type and dest must be present`);
  if (dest === '-') {
    if (type === 'local') fail(`invalid build output option ${JSON.stringify(v)}, type=local and dest=- is not supported`);
    return { type: 'tar', stream: process.stdout };
  }
  return type === 'local' ? { type, dest } : { type, dest };
}

/** --build-context NAME=VALUE: a directory, an image (docker-image://, container-image://, docker://) or a tarball URL. */
function parseBuildContexts(list: string[]): Record<string, BuildContextSource> | undefined {
  if (!list.length) return undefined;
  const out: Record<string, BuildContextSource> = {};
  for (const item of list) {
    const eq = item.indexOf('=');
    if (eq < 0) throw new UsageError(`while parsing additional build context: ${JSON.stringify([item])}, accepts value in the form of key=value`);
    const name = item.slice(0, eq);
    const value = item.slice(eq + 1);
    const image = /^(docker-image|container-image|docker):\/\//.exec(value);
    if (image) out[name] = { type: 'image', ref: value.slice(image[0].length) };
    else if (/^https?:\/\//.test(value)) out[name] = { type: 'url', url: value };
    else {
      const dir = path.resolve(value);
      if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new UsageError(`while parsing additional build context: build context ${name}: ${dir}: not a directory`);
      out[name] = { type: 'dir', path: dir };
    }
  }
  return out;
}

/** The RUN containers' settings from the flags (podman's checks and wording). */
function runStepOptions(opts: Opts, has: (n: string) => boolean, remote: boolean): RunStepOptions | undefined {
  const { splitCSV, parseRAM, normalizeCaps, parseAddHostChecked, validateUlimit, uintValue } = runFlagHelpers();
  const r: RunStepOptions = {};
  const addHost = splitCSV(opts.addHost);
  if (addHost.length) {
    if (opts.noHosts) throw new UsageError('--no-hosts and --add-host conflict, can not be used together');
    for (const h of addHost) parseAddHostChecked(h);
    r.addHost = addHost;
  }
  if (splitCSV(opts.capAdd).length) r.capAdd = normalizeCaps(splitCSV(opts.capAdd)).map((c) => c);
  if (splitCSV(opts.capDrop).length) r.capDrop = normalizeCaps(splitCSV(opts.capDrop));
  if (opts.cgroupParent) r.cgroupParent = opts.cgroupParent;
  for (const [flag, key] of [['ipc', 'ipc'], ['pid', 'pid'], ['uts', 'uts'], ['cgroupns', 'cgroupns']] as const) {
    if (has(flag)) r[key] = namespaceValue(flag, String(opts[key]));
  }
  if (has('cpu-period') && uintValue(opts, 'cpu-period')) r.cpuPeriod = opts.cpuPeriod;
  if (has('cpu-quota') && opts.cpuQuota) r.cpuQuota = opts.cpuQuota;
  if (has('cpu-shares') && uintValue(opts, 'cpu-shares', 'c')) r.cpuShares = opts.cpuShares;
  if (opts.cpusetCpus) r.cpusetCpus = opts.cpusetCpus;
  if (opts.cpusetMems) r.cpusetMems = opts.cpusetMems;
  if (opts.memory) {
    const n = parseRAM(opts.memory);
    if (n === undefined) throw new UsageError(`invalid value for memory: invalid size: '${opts.memory}'`);
    r.memory = n;
  }
  if (opts.memorySwap) {
    const n = opts.memorySwap === '-1' ? -1 : parseRAM(opts.memorySwap);
    if (n === undefined) throw new UsageError(`invalid value for memory-swap: invalid size: '${opts.memorySwap}'`);
    r.memorySwap = n;
  }
  const devices: string[] = opts.device ?? [];
  for (const d of devices) {
    const src = d.split(':')[0];
    try { fs.statSync(src); } catch (e) { throw new UsageError(`creating build executor: getting info of source device ${src}: stat ${src}: ${errnoText(e)}`); }
  }
  if (devices.length) r.devices = devices;
  // --dns none: no /etc/resolv.conf entries at all; it goes alone.
  const dns = has('dns') ? splitCSV(opts.dns) : [];
  const noDns = dns.some((d) => d.toLowerCase() === 'none');
  if (noDns && dns.length > 1) throw new UsageError('invalid --dns, --dns=none may not be used with any other --dns options');
  const dnsSearch = has('dns-search') ? splitCSV(opts.dnsSearch) : [];
  if (noDns && dnsSearch.length) throw new UsageError('invalid --dns-search, --dns-search may not be used with --dns=none');
  const dnsOption = has('dns-option') ? splitCSV(opts.dnsOption) : [];
  if (noDns && dnsOption.length) throw new UsageError('invalid --dns-option, --dns-option may not be used with --dns=none');
  if (dns.length) r.dns = dns;
  if (dnsSearch.length) r.dnsSearch = dnsSearch;
  if (dnsOption.length) r.dnsOption = dnsOption;
  const shm = parseRAM(String(opts.shmSize ?? '65536k'));
  if (shm === undefined) throw new UsageError(`invalid --shm-size: invalid size: '${opts.shmSize}'`);
  if (has('shm-size')) r.shmSize = shm;
  for (const o of opts.securityOpt ?? []) {
    if (o === 'no-new-privileges') throw new UsageError('no-new-privileges is not supported');
    const eq = o.indexOf('=');
    if (eq < 0) throw new UsageError(`invalid --security-opt name=value pair: ${JSON.stringify(o)}`);
    if (!['label', 'apparmor', 'seccomp'].includes(o.slice(0, eq))) throw new UsageError(`invalid --security-opt 2: ${JSON.stringify(o)}`);
  }
  if (opts.securityOpt?.length) r.securityOpt = [...opts.securityOpt];
  const ulimits = has('ulimit') ? splitCSV(opts.ulimit) : [];
  for (const u of ulimits) validateUlimit(u);
  if (ulimits.length) r.ulimits = ulimits;
  for (const v of opts.volume ?? []) checkVolume(v);
  if (opts.volume?.length) r.volumes = [...opts.volume];
  const rf = splitCSV(opts.runtimeFlag);
  if (rf.length) r.runtimeFlags = rf;
  if (opts.httpProxy !== false && (!remote || has('http-proxy'))) r.httpProxy = true;
  return Object.keys(r).length ? r : undefined;
}

function runFlagHelpers() {
  const cf = require('./container-flags') as typeof import('./container-flags');
  const { parseAddHost } = require('../../engine/etc-files') as typeof import('../../engine/etc-files');
  return {
    splitCSV: cf.splitCSV, parseRAM: cf.parseRAM, validateUlimit: cf.validateUlimit, uintValue: cf.uintValue,
    normalizeCaps: (caps: string[]) => {
      try { return cf.normalizeCaps(caps); } catch (e) { throw new UsageError(`creating build executor: ${(e as Error).message}`); }
    },
    parseAddHostChecked: (h: string) => {
      try { parseAddHost(h); } catch (e) { throw new UsageError(`invalid value for add-host: ${(e as Error).message}`); }
    },
  };
}

function buildCmd(name: string): CommandDef {
  return {
    name,
    summary: 'Build an image using instructions from Containerfiles',
    description: 'Builds an OCI or Docker image using instructions from one or more Containerfiles and a specified build context directory.',
    usage: '[options] [CONTEXT]',
    example: 'pier build .\npier build --tag imageName -f Containerfile.simple .\npier build --build-arg=VERSION=1.2 --target final --no-cache .',
    maxArgs: 1,
    flagAliases: { net: 'network' },
    flags: buildFlags(),
    async run(ctx: Ctx, args, opts) {
      const changed: Set<string> = opts.changed ?? new Set();
      const has = (n: string) => changed.has(n);
      for (const [flag, why] of Object.entries(UNSUPPORTED)) {
        if (!has(flag)) continue;
        const v = opts[flag.replace(/-([a-z])/g, (_: string, c: string) => c.toUpperCase())];
        if (v === false || v === '' || (Array.isArray(v) && !v.length) || (flag === 'userns' && v === 'host')) continue;
        throw new UsageError(why);
      }
      const format = String(opts.format ?? 'oci').toLowerCase();
      if (!format.startsWith('oci') && !format.startsWith('docker')) throw new UsageError(`unrecognized image type "${opts.format}"`);
      if (['pull', 'pull-always', 'pull-never'].filter(has).length > 1) throw new UsageError("can only set one of 'pull' or 'pull-always' or 'pull-never'");
      const pullValue = has('pull') ? String(opts.pull) : 'missing';
      const pull = opts.pullAlways ? 'always' : opts.pullNever ? 'never' : pullValue === 'true' ? 'always' : pullValue === 'false' ? 'missing' : pullValue;
      if (!['always', 'missing', 'never', 'newer'].includes(pull)) throw new UsageError(`invalid pull policy "${opts.pull}"`);
      checkAuthFile(opts.authfile);
      // --platform wins over --os/--arch/--variant, as in podman.
      let platform: string | undefined = opts.platform || undefined;
      if (!platform && (opts.arch || opts.os || opts.variant)) {
        const { buildHostPlatform } = require('../../build/platform') as typeof import('../../build/platform');
        const h = buildHostPlatform();
        platform = [opts.os || h.os, opts.arch || h.arch, opts.variant || (opts.arch ? '' : h.variant ?? '')].filter(Boolean).join('/');
      }
      if ((has('squash') && has('layers')) || (has('squash-all') && has('squash'))) {
        throw new UsageError('cannot specify --squash with --layers and --squash-all with --squash');
      }
      // podman: --squash is a build without layers (the new layers become one); --squash-all
      // too, unless --layers is given.
      // $BUILDAH_LAYERS=false (or 0) is the default --layers gives way to.
      let layers = has('layers') ? opts.layers !== false : !['false', '0'].includes(String(process.env.BUILDAH_LAYERS ?? '').toLowerCase());
      if (opts.squash) layers = false;
      if (opts.squashAll && !has('layers')) layers = false;
      const remote = !!ctx.remoteUri;
      if (remote && has('output')) throw new UsageError("'--output' option is not supported in remote mode");
      if (remote && opts.signBy) throw new PierError('signing images (--sign-by) is not supported by the remote pier client');
      // Host paths, the terminal and runtime flags stay on this side (podman-remote hides --volume).
      for (const f of ['volume', 'stdin', 'runtime-flag']) {
        if (remote && has(f)) throw new UsageError(`'--${f}' option is not supported in remote mode`);
      }
      if (opts.network === 'none') {
        for (const f of ['dns', 'dns-option', 'dns-search']) if (has(f)) throw new UsageError(`the --${f} option cannot be used with --network=none`);
      }
      // --isolation: oci (the default), rootless or chroot; RUN steps always go through the OCI
      // runtime here, and chroot (host networking only, as in buildah) keeps its network rule.
      const isolation = String(opts.isolation ?? 'oci').toLowerCase();
      if (!['oci', 'default', 'rootless', 'chroot'].includes(isolation)) throw new UsageError(`unrecognized isolation type "${opts.isolation}"`);
      if (isolation === 'chroot' && has('network') && opts.network !== 'host') throw new UsageError(`cannot set --network other than host with --isolation ${opts.isolation}`);
      if (opts.jobs < 0) throw new UsageError('building: invalid value for jobs.  It must be a positive integer');
      let cacheTtlMs: number | undefined;
      if (has('cache-ttl')) {
        const { parseGoDuration } = require('../../image/filters') as typeof import('../../image/filters');
        cacheTtlMs = parseGoDuration(String(opts.cacheTtl));
        if (cacheTtlMs === undefined) throw new UsageError(`unable to parse value provided ${JSON.stringify(opts.cacheTtl)} as --cache-ttl: time: invalid duration ${JSON.stringify(opts.cacheTtl)}`);
      }
      const output = has('output') ? parseBuildOutput(String(opts.output)) : undefined;
      // --http-proxy defaults to false with a service (podman-remote's: the variables here are not the service's).
      const run = runStepOptions(opts, has, remote);
      const buildContexts = parseBuildContexts(opts.buildContext ?? []);
      const registry = registryOptions(opts);
      const files: string[] = opts.file ?? [];
      const buildArgs: Record<string, string> = {};
      for (const f of opts.buildArgFile ?? []) {
        const lines = fs.readFileSync(f, 'utf8').split('\n').map((l: string) => l.trim()).filter((l: string) => l && !l.startsWith('#'));
        Object.assign(buildArgs, keyValues(lines, 'build-arg'));
      }
      Object.assign(buildArgs, keyValues(opts.buildArg ?? [], 'build-arg'));
      const secrets: Record<string, string> = {};
      for (const s of opts.secret ?? []) {
        const kv = keyValues(s.split(','), 'secret');
        if (!kv.id || !(kv.src ?? kv.source)) throw new UsageError(`invalid secret "${s}": needs id= and src=`);
        secrets[kv.id] = kv.src ?? kv.source;
        if (!fs.existsSync(secrets[kv.id])) throw new UsageError(`secret ${kv.id}: ${secrets[kv.id]}: no such file or directory`);
      }
      // --env NAME (no value) takes NAME's value from this environment, as buildah does.
      const env = (opts.env ?? []).map((e: string) => (e.includes('=') || e.endsWith('-') ? e : `${e}=${process.env[e] ?? ''}`));
      // --logfile: the build's output goes to the file instead (podman truncates it, mode 0600).
      let log: number | undefined;
      if (has('logfile')) {
        try { log = fs.openSync(opts.logfile, 'w', 0o600); } catch (e) { throw new PierError(`open ${opts.logfile}: ${errnoText(e)}`); }
      }
      // With the tar on stdout (--output -), the build's output goes to stderr.
      const write = log !== undefined ? (s: string) => { fs.writeSync(log!, s); }
        : output && 'stream' in output ? (s: string) => writeStderr(s) : (s: string) => writeStdout(s);
      const tmp = fs.mkdtempSync(path.join(ctx.globals.tmpdir || os.tmpdir(), 'pier-build-'));
      try {
        let contextDir: string;
        let containerfileText: string | undefined;
        const ctxArg = args[0] ?? '.';
        if (files[0] === '-') {
          if (ctxArg === '-') throw new UsageError('cannot read both the Containerfile and the context from stdin');
          containerfileText = (await readStdin()).toString('utf8');
        }
        if (ctxArg === '-') {
          // `build -` reads a context archive, or (as podman and docker) a bare Containerfile
          // with an empty context.
          const input = await readStdin();
          if (containerfileText === undefined && !looksLikeArchive(input)) {
            containerfileText = input.toString('utf8');
            contextDir = path.join(tmp, 'context');
            fs.mkdirSync(contextDir);
          } else {
            contextDir = await extractContext(input, tmp);
          }
        } else {
          if (!fs.existsSync(ctxArg)) throw new UsageError(`context directory ${path.resolve(ctxArg)}: no such file or directory`);
          contextDir = fs.statSync(ctxArg).isDirectory() ? path.resolve(ctxArg) : await extractContext(ctxArg, tmp);
        }
        // -f PATH: as given (relative to here), else in the context directory, as buildah looks.
        const located = files.filter((f) => f !== '-').map((f) => (fs.existsSync(f) || !fs.existsSync(path.join(contextDir, f)) ? path.resolve(f) : path.join(contextDir, f)));
        if (files.length > 1) {
          // Several files are one Containerfile, in order (buildah appends their instructions).
          const texts = located.map((f) => { try { return fs.readFileSync(f, 'utf8'); } catch (e) { throw new UsageError(`reading Containerfile ${f}: ${errnoText(e)}`); } });
          containerfileText = [...(containerfileText !== undefined ? [containerfileText] : []), ...texts].join('\n');
        }
        const bo: BuildOptions = {
          contextDir, containerfile: files.length === 1 && located[0] ? located[0] : undefined, containerfileText,
          tags: opts.tag ?? [], signBy: opts.signBy || undefined, buildArgs, target: opts.target, layers,
          noCache: !!opts.noCache, pull: pull as BuildOptions['pull'], squashAll: !!opts.squashAll, squash: !!opts.squash, format: format.startsWith('docker') ? 'docker' : 'oci',
          labels: keyValues(opts.label ?? [], 'label'), annotations: keyValues(opts.annotation ?? [], 'annotation'), secrets,
          noHosts: !!opts.noHosts, timestamp: has('timestamp') ? Number(opts.timestamp) : undefined, quiet: !!opts.quiet,
          rm: opts.rm !== false, forceRm: !!opts.forceRm, platform, network: opts.network, ignoreFile: opts.ignorefile,
          registry, run, stdin: opts.stdin ? process.stdin : undefined,
          // podman-remote takes --hooks-dir but sends nothing of it: the service's build uses its own default.
          hooksDirs: has('hooks-dir') && !remote ? [...opts.hooksDir] : undefined,
          env: env.length ? env : undefined, unsetEnv: runFlagHelpers().splitCSV(opts.unsetenv).length ? runFlagHelpers().splitCSV(opts.unsetenv) : undefined,
          from: opts.from || undefined, omitHistory: !!opts.omitHistory, osVersion: opts.osVersion || undefined,
          osFeatures: opts.osFeature?.length ? [...opts.osFeature] : undefined, output,
          skipUnusedStages: opts.skipUnusedStages !== false, buildContexts, cacheTtlMs,
          cppFlags: opts.cppFlag?.length ? [...opts.cppFlag] : undefined,
        };
        // SIGINT/SIGTERM end the build: its containers are removed, and pier exits 128+signal.
        const abort = new AbortController();
        let signalled: NodeJS.Signals | undefined;
        const onSignal = (sig: NodeJS.Signals) => { signalled ??= sig; abort.abort(); };
        process.once('SIGINT', onSignal);
        process.once('SIGTERM', onSignal);
        let id: string;
        try {
          ({ id } = await ctx.engines.build().build(bo, { write, abort: abort.signal }));
        } catch (e) {
          if (signalled) {
            fs.rmSync(tmp, { recursive: true, force: true });
            process.exit(128 + (signalled === 'SIGINT' ? 2 : 15));
          }
          throw e;
        } finally {
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
        }
        if (opts.iidfile) fs.writeFileSync(opts.iidfile, `sha256:${id}`);
        // --manifest: the image goes into the list, which is made when there is none (buildah's).
        if (opts.manifest) await ctx.images().manifestCreate(opts.manifest, [`containers-storage:${id}`], { amend: true });
      } catch (e) {
        if (e instanceof PierError) throw e;
        throw new PierError((e as Error).message);
      } finally {
        if (log !== undefined) fs.closeSync(log);
        fs.rmSync(tmp, { recursive: true, force: true });
      }
    },
  };
}

/** A tar archive (ustar magic at 257), or gzip, bzip2, xz or zstd data. */
function looksLikeArchive(b: Buffer): boolean {
  return (b.length >= 262 && b.toString('latin1', 257, 262) === 'ustar') || detectCompression(b) !== null;
}

export function buildCommand(): CommandDef {
  return buildCmd('build');
}

export function buildxGroup(): CommandDef {
  return {
    name: 'buildx',
    summary: 'Build images',
    hidden: true,
    description: 'Build images (docker buildx compatibility: `buildx build` is `build`)',
    usage: '[command]',
    subcommands: [buildCmd('build')],
  };
}

export { buildCmd };
