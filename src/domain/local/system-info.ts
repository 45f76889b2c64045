// `pier info` (and the service's GET /libpod/info): the host, the OCI runtime and conmon, the
// store's counts and paths, the registries searched, and pier's version, as podman reports them.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { EngineConfig } from '../../config/config';
import type { LocalContainerEngine } from './containers';
import type { LocalImageEngine } from './images';
import { goArch } from '../../util/arch';
import { BUILTIN_DEFAULT_CAPABILITIES, containersSettings, volumePluginSettings } from '../../config/config';
import { defaultServiceSocket } from '../../config/paths';

/**
 * The client part of `pier version` (and of info's `version`), in podman's key order. pier is not
 * built with Go: GoVersion is empty (templates that read it still work) and NodeVersion, pier's
 * own key, names the runtime; no build time is recorded (Built 0, as Debian's podman).
 */
export function clientVersion() {
  return {
    APIVersion: '4.3.1',
    Version: PIER_VERSION,
    GoVersion: '',
    NodeVersion: process.version,
    GitCommit: '',
    BuiltTime: 'Thu Jan  1 00:00:00 1970',
    Built: 0,
    OsArch: `linux/${goArch()}`,
    Os: 'linux',
  };
}

/** What `pier info --format json` prints. */
export async function systemInfo(cfg: EngineConfig, images: LocalImageEngine, containers: LocalContainerEngine): Promise<Record<string, unknown>> {
  const store = images.store;
  const imgs = store.images.list();
  const rows = await containers.list({ all: true });
  const count = (st: string) => rows.filter((r) => r.State === st).length;
  const rootFs = statfsOf(store.graphRoot);
  const versionOf = (bin: string, args: string[] = ['--version']) => {
    const { spawnSync } = require('node:child_process') as typeof import('node:child_process');
    const r = spawnSync(bin, args, { encoding: 'utf8', timeout: 5000 });
    return (r.stdout || '').trimEnd();
  };
  const rt = (() => { try { return containers.lifecycle.runtime(); } catch { return undefined; } })();
  const { findConmon } = require('../../engine/conmon') as typeof import('../../engine/conmon');
  const conmonPath = (() => { try { return findConmon(cfg.conmon); } catch { return ''; } })();
  const { cgroupMode } = require('../../engine/runtime') as typeof import('../../engine/runtime');
  return {
    host: {
      arch: goArch(),
      // pier's build is its own (buildah 1.28's behaviour, no buildah).
      buildahVersion: '',
      cgroupManager: cfg.engine.engine?.cgroup_manager === 'systemd' ? 'systemd' : 'cgroupfs',
      cgroupVersion: cgroupMode() === 'unified' ? 'v2' : 'v1',
      // Rootless on cgroup v1 there is no cgroup to delegate: podman lists none.
      cgroupControllers: cfg.dirs.rootless && cgroupMode() !== 'unified' ? [] : cgroupControllers(),
      conmon: { package: conmonPath ? packageOf(conmonPath, 'conmon') : 'conmon', path: conmonPath, version: conmonPath ? versionOf(conmonPath).split('\n').join(', ') : '' },
      cpus: os.cpus().length,
      cpuUtilization: cpuUtilization(),
      distribution: distribution(),
      eventLogger: ['none', 'journald'].includes(cfg.engine.engine?.events_logger) ? cfg.engine.engine.events_logger : 'file',
      hostname: os.hostname(),
      // Rootless: the maps of the user namespace this runs in (rootless.ts); root has none.
      idMappings: cfg.dirs.rootless ? { gidmap: idMap('/proc/self/gid_map'), uidmap: idMap('/proc/self/uid_map') } : { gidmap: null, uidmap: null },
      kernel: os.release(),
      logDriver: containersSettings(cfg).logDriver ?? 'k8s-file',
      memFree: os.freemem(),
      memTotal: os.totalmem(),
      networkBackend: 'netavark',
      ociRuntime: rt ? { name: rt.name, package: packageOf(rt.path, rt.name), path: rt.path, version: versionOf(rt.path) } : {},
      os: 'linux',
      remoteSocket: { path: defaultServiceSocket(), ...(fs.existsSync(defaultServiceSocket()) ? { exists: true } : {}) },
      serviceIsRemote: false,
      security: {
        apparmorEnabled: readText('/sys/module/apparmor/parameters/enabled').trim() === 'Y',
        capabilities: (cfg.engine.containers?.default_capabilities ? containersSettings(cfg).capabilities : BUILTIN_DEFAULT_CAPABILITIES).join(','),
        rootless: cfg.dirs.rootless,
        seccompEnabled: true,
        seccompProfilePath: fs.existsSync('/usr/share/containers/seccomp.json') ? '/usr/share/containers/seccomp.json' : '',
        selinuxEnabled: fs.existsSync('/sys/fs/selinux/enforce'),
      },
      // podman lists the slirp4netns it would use (for --network slirp4netns), when it finds one.
      ...(() => {
        const { findSlirp } = require('../../network/slirp') as typeof import('../../network/slirp');
        let exe: string;
        try { exe = findSlirp(cfg.networkCmdPath); } catch { return {}; }
        return { slirp4netns: { executable: exe, package: packageOf(exe, 'slirp4netns'), version: versionOf(exe) } };
      })(),
      ...swap(),
      uptime: uptimeText(os.uptime()),
      // podman's Go link mode; pier runs on a dynamically linked node, its addon loaded at run time.
      linkmode: 'dynamic',
    },
    store: {
      configFile: cfg.configFiles.join(', '),
      containerStore: { number: rows.length, paused: count('paused'), running: count('running'), stopped: rows.length - count('running') - count('paused') },
      graphDriverName: store.driver,
      graphOptions: {},
      graphRoot: store.graphRoot,
      ...graphRootUsage(rootFs),
      graphStatus: graphStatus(store.driver, rootFs),
      imageCopyTmpDir: process.env.TMPDIR || '/var/tmp',
      imageStore: { number: imgs.length },
      runRoot: store.runRoot,
      volumePath: store.volumePath,
    },
    registries: (() => {
      try { const search = images.searchRegistries(); return search.length ? { search } : {}; } catch { return {}; }
    })(),
    plugins: { volume: ['local', ...Object.keys(volumePluginSettings(cfg).volumePlugins ?? {})], network: ['bridge', 'macvlan'], log: ['k8s-file', 'json-file', 'none', 'passthrough'], authorization: null },
    version: clientVersion(),
  };
}

function readText(file: string): string {
  try { return fs.readFileSync(file, 'utf8'); } catch { return ''; }
}

/** The cgroup v1 controllers with a hierarchy (/proc/cgroups), or v2's cgroup.controllers. */
function cgroupControllers(): string[] {
  const v2 = readText('/sys/fs/cgroup/cgroup.controllers').trim();
  if (v2) return v2.split(/\s+/);
  return readText('/proc/cgroups').split('\n').filter((l) => l && !l.startsWith('#'))
    .map((l) => l.split('\t')).filter((f) => f[1] !== '0' && f[3] === '1' && fs.existsSync(`/sys/fs/cgroup/${f[0]}`)).map((f) => f[0]);
}

/** Since boot, from /proc/stat's cpu line, in podman's three percentages. */
function cpuUtilization(): { userPercent: number; systemPercent: number; idlePercent: number } {
  const f = (readText('/proc/stat').split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
  const total = f.reduce((a, b) => a + (b || 0), 0) || 1;
  const pct = (n: number) => Math.round((n / total) * 10000) / 100;
  return { userPercent: pct(f[0] ?? 0), systemPercent: pct(f[2] ?? 0), idlePercent: pct(f[3] ?? 0) };
}

/** /etc/os-release's ID, VERSION_ID and VERSION_CODENAME. */
function distribution(): Record<string, string> {
  const kv = new Map(readText('/etc/os-release').split('\n').map((l) => /^([A-Z_]+)=(.*)$/.exec(l)).filter((m): m is RegExpExecArray => !!m).map((m) => [m[1], m[2].replace(/^"|"$/g, '')]));
  return { distribution: kv.get('ID') ?? 'unknown', version: kv.get('VERSION_ID') ?? 'unknown', ...(kv.get('VERSION_CODENAME') ? { codename: kv.get('VERSION_CODENAME')! } : {}) };
}

function swap(): { swapFree: number; swapTotal: number } {
  const meminfo = readText('/proc/meminfo');
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(meminfo)?.[1] ?? 0) * 1024;
  return { swapFree: kb('SwapFree'), swapTotal: kb('SwapTotal') };
}

/** podman's uptime: `16h 13m 26.00s (Approximately 0.67 days)`. */
function uptimeText(secs: number): string {
  const h = Math.floor(secs / 3600);
  const m = Math.floor((secs % 3600) / 60);
  return `${h}h ${m}m ${Math.floor(secs % 60).toFixed(2)}s (Approximately ${(h / 24).toFixed(2)} days)`;
}

/** The Debian package that installed `file`, as podman names it (`conmon_2.1.6+ds1-1_amd64`), else `fallback`. */
function packageOf(file: string, fallback: string): string {
  const { spawnSync } = require('node:child_process') as typeof import('node:child_process');
  const owner = spawnSync('dpkg', ['-S', file], { encoding: 'utf8', timeout: 5000 });
  const pkg = /^([^:\s]+)(:[^:]+)?: /.exec(owner.stdout ?? '')?.[1];
  if (owner.status !== 0 || !pkg) return fallback;
  const q = spawnSync('dpkg-query', ['-W', '-f', '${Package}_${Version}_${Architecture}', pkg], { encoding: 'utf8', timeout: 5000 });
  return q.status === 0 && q.stdout ? q.stdout.trim() : fallback;
}

/** statfs of the graph root (undefined when it cannot be read). */
function statfsOf(root: string): fs.StatsFs | undefined {
  try { return fs.statfsSync(root); } catch { return undefined; }
}

/** A /proc/PID/[ug]id_map as podman's info lists it. */
function idMap(file: string): { container_id: number; host_id: number; size: number }[] {
  return readText(file).split('\n').map((l) => l.trim().split(/\s+/).map(Number)).filter((f) => f.length === 3 && f.every(Number.isInteger))
    .map(([c, h, n]) => ({ container_id: c, host_id: h, size: n }));
}

function graphRootUsage(st: fs.StatsFs | undefined): { graphRootAllocated?: number; graphRootUsed?: number } {
  return st ? { graphRootAllocated: st.blocks * st.bsize, graphRootUsed: (st.blocks - st.bfree) * st.bsize } : {};
}

/** The backing filesystem's name as containers/storage prints it, by statfs magic. */
const FS_NAMES: Record<number, string> = { 0xef53: 'extfs', 0x58465342: 'xfs', 0x9123683e: 'btrfs', 0x01021994: 'tmpfs', 0x794c7630: 'overlayfs', 0x2fc12fc1: 'zfs' };

function graphStatus(driver: string, st: fs.StatsFs | undefined): Record<string, string> {
  if (driver !== 'overlay') return {};
  const backing = (st && FS_NAMES[st.type]) ?? '<unknown>';
  return { 'Backing Filesystem': backing, 'Native Overlay Diff': 'true', 'Supports d_type': 'true', 'Using metacopy': 'false' };
}