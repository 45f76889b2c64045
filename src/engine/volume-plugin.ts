/**
 * The client of a volume plugin: Docker's volume plugin protocol (POST of JSON bodies, answers
 * with an `Err` field on failure) over the unix socket containers.conf's
 * `[engine.volume_plugins]` names. Loaded only when a volume uses a plugin (it brings Node's
 * http, net and stream modules, which the usual `run` never loads).
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { PierError, errnoText } from '../util/errors';

/** podman's ErrMissingPlugin: the plugin is not configured, or gone. */
export class MissingPluginError extends PierError {
  constructor(message: string) { super(`${message}: required plugin missing`); this.name = 'MissingPluginError'; }
}

/** What a plugin reports of a volume (List, Get). */
export interface PluginVolume {
  Name: string;
  Mountpoint?: string;
  CreatedAt?: string;
  Status?: Record<string, unknown>;
}

/** podman's default `volume_plugin_timeout` (seconds). */
export const DEFAULT_PLUGIN_TIMEOUT = 5;

/** Plugins activated by this process, by name. */
const activated = new Map<string, VolumePlugin>();

export class VolumePlugin {
  constructor(readonly name: string, readonly socket: string, readonly timeoutSec: number) {}

  /** POST `endpoint` with `body`; the parsed answer, or the plugin's `Err` as an error. */
  private async call(endpoint: string, body: unknown, volume = ''): Promise<any> {
    try { fs.statSync(this.socket); } catch (e: any) {
      if (e.code === 'ENOENT') { activated.delete(this.name); throw new PierError(`${this.name}: plugin is no longer available (shut down?)`); }
      throw new PierError(`accessing plugin ${this.name}: ${errnoText(e)}`);
    }
    const { status, text } = await this.post(endpoint, body);
    if (status !== 200) {
      let err = '';
      try { err = JSON.parse(text).Err ?? ''; } catch {
        throw new PierError(`unmarshalling JSON response from volume plugin ${this.name}: invalid character in ${JSON.stringify(text.slice(0, 40))}`);
      }
      err ||= 'empty error from plugin';
      throw new PierError(volume ? `on ${endpoint} on volume ${volume} in volume plugin ${this.name}: ${err}` : `on ${endpoint} in volume plugin ${this.name}: ${err}`);
    }
    try { return text ? JSON.parse(text) : {}; } catch {
      throw new PierError(`unmarshalling volume plugin ${this.name} ${endpoint} response: not JSON`);
    }
  }

  /** One HTTP request on the socket; connection errors worded as Go's client words them. */
  post(endpoint: string, body: unknown): Promise<{ status: number; text: string }> {
    const data = body === undefined ? '' : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = http.request({
        socketPath: this.socket, method: 'POST', path: endpoint, timeout: this.timeoutSec * 1000,
        headers: { Host: 'plugin', 'Content-Type': 'application/vnd.docker.plugins.v1.1+json', 'Content-Length': Buffer.byteLength(data) },
      }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        res.on('error', reject);
      });
      const fail = (why: string) => reject(new PierError(`sending request to volume plugin ${this.name} endpoint ${endpoint}: Post "http://plugin${endpoint}": ${why}`));
      req.on('timeout', () => { req.destroy(); fail('context deadline exceeded (Client.Timeout exceeded while awaiting headers)'); });
      req.on('error', (e: any) => { if (!req.destroyed || e.code) fail(e.syscall === 'connect' ? `dial unix ${this.socket}: connect: ${errnoText(e)}` : errnoText(e)); });
      req.end(data);
    });
  }

  async create(name: string, opts: Record<string, string>): Promise<void> {
    await this.call('/VolumeDriver.Create', Object.keys(opts).length ? { Name: name, Opts: opts } : { Name: name }, name);
  }

  /** The volume as the plugin has it (its Status for inspect). */
  async get(name: string): Promise<PluginVolume | undefined> {
    return (await this.call('/VolumeDriver.Get', { Name: name }, name)).Volume ?? undefined;
  }

  async list(): Promise<PluginVolume[]> {
    return (await this.call('/VolumeDriver.List', undefined)).Volumes ?? [];
  }

  async remove(name: string): Promise<void> {
    await this.call('/VolumeDriver.Remove', { Name: name }, name);
  }

  /** Mount for `id`; returns the host path the plugin mounted it at. */
  async mount(name: string, id: string): Promise<string> {
    return String((await this.call('/VolumeDriver.Mount', { Name: name, ID: id }, name)).Mountpoint ?? '');
  }

  async unmount(name: string, id: string): Promise<void> {
    await this.call('/VolumeDriver.Unmount', { Name: name, ID: id }, name);
  }
}

/**
 * The plugin called `name` in `plugins` (name → socket path), activated once per process: its
 * socket must exist and its /Plugin.Activate must list VolumeDriver.
 */
export async function volumePlugin(name: string, plugins: Record<string, string> | undefined, timeoutSec = DEFAULT_PLUGIN_TIMEOUT): Promise<VolumePlugin> {
  const socketPath = plugins?.[name];
  if (typeof socketPath !== 'string') throw new MissingPluginError(`no volume plugin with name ${name} available`);
  const socket = path.normalize(socketPath);
  const cached = activated.get(name);
  if (cached && cached.socket === socket) return cached;
  let st: fs.Stats;
  try { st = fs.statSync(socket); } catch (e) {
    throw new PierError(`cannot access plugin ${name} socket "${socket}": stat ${socket}: ${errnoText(e)}`);
  }
  if (!st.isSocket()) throw new PierError(`volume ${name} path "${socket}" is not a unix socket: target does not appear to be a valid plugin`);
  const p = new VolumePlugin(name, socket, timeoutSec);
  let res: { status: number; text: string };
  try { res = await p.post('/Plugin.Activate', undefined); } catch (e: any) {
    throw new PierError(e.message.replace(`volume plugin ${name} endpoint /Plugin.Activate`, `plugin ${name} activation endpoint`));
  }
  if (res.status !== 200) throw new PierError(`got status code ${res.status} from activation endpoint for plugin ${name}: target does not appear to be a valid plugin`);
  let implementsList: string[];
  try { implementsList = JSON.parse(res.text).Implements ?? []; } catch {
    throw new PierError(`unmarshalling plugin ${name} activation response: not JSON`);
  }
  if (!implementsList.includes('VolumeDriver')) {
    throw new PierError(`plugin ${name} does not implement volume plugin, instead provides ${implementsList.join(', ')}: plugin is not a volume plugin`);
  }
  activated.set(name, p);
  return p;
}
