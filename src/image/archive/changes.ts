// `--change` instructions (import, commit) applied to an image config's `config` object,
// parsed the way podman does: `INSTRUCTION value` (or `INSTRUCTION=value`), JSON or shell
// forms for CMD/ENTRYPOINT/VOLUME, key=value for ENV/LABEL.
import * as os from 'node:os';
import * as path from 'node:path';
import { UsageError } from '../../util/errors';

/** The container config fields a change may set (Docker/OCI image config names). */
export interface ContainerConfig {
  User?: string;
  ExposedPorts?: Record<string, object>;
  Env?: string[];
  Entrypoint?: string[];
  Cmd?: string[];
  Volumes?: Record<string, object>;
  WorkingDir?: string;
  Labels?: Record<string, string>;
  StopSignal?: string;
  OnBuild?: string[];
  [k: string]: unknown;
}

function unquote(s: string): string {
  return s.length >= 2 && s.startsWith('"') && s.endsWith('"') ? s.slice(1, -1) : s;
}

function jsonStrings(value: string): string[] | undefined {
  try {
    const v = JSON.parse(value);
    return Array.isArray(v) && v.every((x) => typeof x === 'string') ? v : undefined;
  } catch {
    return undefined;
  }
}

/** A signal name or number as its number (SIGTERM, TERM, 15 → "15"). */
export function signalNumber(s: string): number | undefined {
  if (/^\d+$/.test(s)) {
    const n = Number(s);
    return n > 0 && n <= 64 ? n : undefined;
  }
  const up = s.toUpperCase();
  const name = up.startsWith('SIG') ? up : `SIG${up}`;
  const rt = /^SIGRTMIN(?:\+(\d+))?$/.exec(name) ?? /^SIGRTMAX(?:-(\d+))?$/.exec(name);
  if (rt) return name.startsWith('SIGRTMIN') ? 34 + Number(rt[1] ?? 0) : 64 - Number(rt[1] ?? 0);
  return (os.constants.signals as Record<string, number>)[name];
}

/** Apply `changes` to a copy of `base`; throws UsageError on an invalid change. */
export function applyChanges(base: ContainerConfig, changes: string[]): ContainerConfig {
  const c: ContainerConfig = JSON.parse(JSON.stringify(base ?? {}));
  for (const change of changes) {
    let i = change.indexOf(' ');
    if (i < 0) i = change.indexOf('=');
    if (i < 0) throw new UsageError(`invalid change "${change}" - must be formatted as KEY VALUE`);
    const key = change.slice(0, i).trim().toUpperCase();
    const value = change.slice(i + 1).trim();
    const bad = (why: string) => new UsageError(`invalid change "${change}" - ${why}`);
    switch (key) {
      case 'USER':
        if (!value) throw bad('must provide a value to USER');
        c.User = value;
        break;
      case 'EXPOSE': {
        const parts = value.split('/');
        if (parts.length > 2) throw bad('EXPOSE port must be formatted as PORT[/PROTO]');
        if (!/^[+-]?\d+$/.test(parts[0])) throw bad('EXPOSE port must be an integer');
        const port = Number(parts[0]);
        if (port <= 0 || port > 65535) throw bad('EXPOSE port must be a valid port number');
        let proto = 'tcp';
        if (parts.length > 1) {
          proto = parts[1].toLowerCase();
          if (proto !== 'tcp' && proto !== 'udp') throw bad('EXPOSE protocol must be TCP or UDP');
        }
        (c.ExposedPorts ??= {})[`${port}/${proto}`] = {};
        break;
      }
      case 'ENV': {
        const eq = value.indexOf('=');
        const k = unquote(eq < 0 ? value : value.slice(0, eq));
        const v = eq < 0 ? '' : unquote(value.slice(eq + 1));
        if (!k) throw bad('ENV must have at least one argument');
        const env = (c.Env ??= []);
        const at = env.findIndex((e) => e.split('=')[0] === k);
        if (at >= 0) env[at] = `${k}=${v}`; else env.push(`${k}=${v}`);
        break;
      }
      case 'ENTRYPOINT': {
        const arr = jsonStrings(value);
        c.Entrypoint = arr ?? (value ? ['/bin/sh', '-c', value] : []);
        break;
      }
      case 'CMD': {
        const arr = jsonStrings(value);
        c.Cmd = arr ?? ['/bin/sh', '-c', ...(value ? [value] : [])];
        break;
      }
      case 'VOLUME': {
        const vols = jsonStrings(value) ?? value.split(' ');
        if (!vols.length) throw bad('must include at least one argument to VOLUME');
        for (const v of vols) {
          if (!v) throw bad('VOLUME paths must not be empty');
          (c.Volumes ??= {})[v] = {};
        }
        break;
      }
      case 'WORKDIR':
        if (!value) throw bad('WORKDIR must include a non-blank argument');
        c.WorkingDir = c.WorkingDir ? path.posix.join(c.WorkingDir, value) : path.posix.normalize(value);
        break;
      case 'LABEL': {
        const eq = value.indexOf('=');
        if (eq < 0) throw bad('LABEL must be formatted key=value');
        const k = unquote(value.slice(0, eq));
        const v = unquote(value.slice(eq + 1));
        if (!k) throw bad('LABEL must have a non-empty key');
        (c.Labels ??= {})[k] = v;
        break;
      }
      case 'STOPSIGNAL': {
        const n = signalNumber(value);
        if (n === undefined) throw bad(`invalid STOPSIGNAL: invalid signal: ${value}`);
        c.StopSignal = String(n);
        break;
      }
      case 'ONBUILD':
        if (!value) throw bad('ONBUILD must be given an argument');
        (c.OnBuild ??= []).push(value);
        break;
      default:
        throw bad(`invalid instruction ${key}`);
    }
  }
  return c;
}
