// `pier info` (and the service's GET /libpod/info): the host, the OCI runtime and conmon, the
// store's counts and paths, the registries searched, and pier's version, as podman reports them.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { EngineConfig } from '../../config/config';
import type { LocalContainerEngine } from './containers';
import type { LocalImageEngine } from './images';
import { goArch } from '../../util/arch';

/** The client part of `pier version` (and of info's `version`). */
export function clientVersion() {
  return {
    APIVersion: '4.3.1',
    Version: PIER_VERSION,
    NodeVersion: process.version,
    BuiltTime: '',
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
  const versionOf = (bin: string, args: string[] = ['--version']) => {
    const { spawnSync } = require('node:child_process') as typeof import('node:child_process');
    const r = spawnSync(bin, args, { encoding: 'utf8', timeout: 5000 });
    return (r.stdout || '').split('\n').filter(Boolean).join(', ');
  };
  const rt = (() => { try { return containers.lifecycle.runtime(); } catch { return undefined; } })();
  const { findConmon } = require('../../engine/conmon') as typeof import('../../engine/conmon');
  const conmonPath = (() => { try { return findConmon(cfg.conmon); } catch { return ''; } })();
  const { cgroupMode } = require('../../engine/runtime') as typeof import('../../engine/runtime');
  return {
    host: {
      arch: goArch(),
      cgroupManager: cfg.engine.engine?.cgroup_manager === 'systemd' ? 'systemd' : 'cgroupfs',
      cgroupVersion: cgroupMode() === 'unified' ? 'v2' : 'v1',
      conmon: { package: 'conmon', path: conmonPath, version: conmonPath ? versionOf(conmonPath) : '' },
      cpus: os.cpus().length,
      eventLogger: ['none', 'journald'].includes(cfg.engine.engine?.events_logger) ? cfg.engine.engine.events_logger : 'file',
      hostname: os.hostname(),
      kernel: os.release(),
      memFree: os.freemem(),
      memTotal: os.totalmem(),
      ociRuntime: rt ? { name: rt.name, package: rt.name, path: rt.path, version: versionOf(rt.path) } : {},
      os: 'linux',
      security: { rootless: cfg.dirs.rootless, seccompEnabled: true, seccompProfilePath: fs.existsSync('/usr/share/containers/seccomp.json') ? '/usr/share/containers/seccomp.json' : '' },
      uptime: `${Math.floor(os.uptime())}s`,
    },
    store: {
      configFile: cfg.configFiles.join(', '),
      containerStore: { number: rows.length, paused: count('paused'), running: count('running'), stopped: rows.length - count('running') - count('paused') },
      graphDriverName: store.driver,
      graphRoot: store.graphRoot,
      imageStore: { number: imgs.length },
      runRoot: store.runRoot,
      volumePath: path.join(store.graphRoot, 'volumes'),
    },
    registries: (() => {
      try { return { search: images.searchRegistries() }; } catch { return {}; }
    })(),
    version: clientVersion(),
  };
}
