// What every command's run() receives: parsed global options and lazily created engines.
import { resolveConfig, EngineConfig, GlobalOptions } from '../config/config';
import { trace } from '../util/log';
import { writeStdout } from '../util/stdio';
import type { ImageEngine } from '../domain/images';
import type { ContainerEngine } from '../domain/containers';
import type { VolumeEngine } from '../domain/volumes';
import type { Engines } from '../domain/engines';
import type { LocalEngines } from '../domain/local/engines';

/** Commands pier's remote client supports (paths without the leading `pier `). */
const REMOTE_COMMANDS = new RegExp('^(' + [
  '(container )?(ps|ls|list|create|run|start|stop|kill|rm|remove|restart|pause|unpause|rename|logs|wait|exists|init|exec|attach|port|cp|export|diff|commit|top|stats|update)', 'container clone',
  '(container )?inspect', 'inspect', 'images', 'image (ls|list|inspect|exists|rm|remove|tag|untag|history|pull|push|prune|tree|save|load|import|search|diff|scp)',
  'pull', 'push', 'rmi', 'tag', 'untag', 'history', 'save', 'load', 'import', 'search',
  'volume (create|ls|list|inspect|rm|remove|prune|exists|export|import|reload)', 'pod (create|clone|ps|ls|list|start|stop|restart|kill|pause|unpause|rm|remove|inspect|exists|prune|top|stats|logs)',
  'network (create|ls|list|inspect|rm|remove|prune|exists|connect|disconnect)', 'secret (create|ls|list|inspect|rm)',
  'build', 'buildx build', 'image build', 'events', 'system events', 'system (df|prune|info)', 'info', '(container )?healthcheck run', 'healthcheck run',
  'version', 'system version', 'generate (systemd|kube|spec)', 'kube (play|down|generate)', 'play kube', 'manifest (create|add|inspect|push|remove|rm|exists)',
].join('|') + ')$');
/** Commands podman has in local mode only (podman-remote refuses them). */
const ABI_ONLY = /^(auto-update|unshare|(container |image )?(mount|unmount|umount)|volume (mount|unmount)|container runlabel|system (migrate|renumber|reset)|manifest annotate|image (sign|trust( set| show)?))$/;
/** Commands that always act locally, even with CONTAINER_HOST set. */
const REMOTE_LOCAL_ONLY = /^pier (system connection|system service|container cleanup|completion|__complete|login|logout|help)/;

export class Ctx {
  private _cfg?: EngineConfig;
  private _engines?: Engines;
  /** The service's URI in remote mode (--remote, --url, --connection, CONTAINER_HOST). */
  remoteUri?: string;

  constructor(readonly globals: GlobalOptions, readonly commandName: string) {}

  get cfg(): EngineConfig {
    if (!this._cfg) { trace('config'); this._cfg = resolveConfig(this.globals); trace('config resolved'); }
    return this._cfg;
  }

  /** The engines behind the domain interface: in-process (local) today; a remote client implements the same. */
  /**
   * Remote mode: connects the engines to the service (through an ssh tunnel for ssh://) and
   * refuses the commands the remote client does not offer yet, rather than running them locally.
   */
  async prepareRemote(): Promise<void> {
    const { resolveRemote } = require('../config/connections') as typeof import('../config/connections');
    if (REMOTE_LOCAL_ONLY.test(this.commandName)) return;
    const conn = resolveRemote(this.globals);
    if (!conn) return;
    const { PierError } = require('../util/errors') as typeof import('../util/errors');
    // podman-remote has no --namespace (the service's own, if any, applies).
    if (this.globals.namespace !== undefined) throw new PierError('unknown flag: --namespace');
    if (!REMOTE_COMMANDS.test(this.commandName.replace(/^pier /, ''))) {
      // Commands podman offers in its local (ABI) mode only get podman-remote's refusal.
      if (ABI_ONLY.test(this.commandName.replace(/^pier /, ''))) throw new PierError(`cannot use command "${this.commandName}" with the remote pier client`);
      throw new PierError(`${this.commandName} is not supported in remote mode yet`);
    }
    let url = conn.uri;
    if (url.startsWith('ssh://')) {
      const { openSshTunnel } = require('../domain/remote/ssh') as typeof import('../domain/remote/ssh');
      url = `unix://${(await openSshTunnel(url, conn.identity)).socket}`;
    }
    const { ApiClient, parseEndpoint } = require('../domain/remote/client') as typeof import('../domain/remote/client');
    const { RemoteEngines } = require('../domain/remote/engines') as typeof import('../domain/remote/engines');
    this._engines = new RemoteEngines(new ApiClient(parseEndpoint(url), conn.uri));
    this.remoteUri = conn.uri;
  }

  get engines(): Engines {
    if (!this._engines) {
      const { LocalEngines } = require('../domain/local/engines') as typeof import('../domain/local/engines');
      this._engines = new LocalEngines(this.cfg);
    }
    return this._engines;
  }

  images(): ImageEngine {
    return this.engines.images();
  }

  volumes(): VolumeEngine {
    return this.engines.volumes();
  }

  containers(): ContainerEngine {
    return this.engines.containers();
  }

  pods(): import('../domain/pods').PodEngine {
    return this.engines.pods();
  }

  out(s: string): void {
    if (s) writeStdout(s.endsWith('\n') ? s : s + '\n');
  }

  get stdoutIsTTY(): boolean {
    return !!process.stdout.isTTY;
  }
}
