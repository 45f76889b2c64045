// Remote connections (`pier system connection ...`, `--connection`, `--url`, CONTAINER_HOST):
// stored in $XDG_CONFIG_HOME/pier/connections.json (~/.config/pier/connections.json).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PierError, UsageError, NotFoundError } from '../util/errors';
import { defaultServiceSocket } from './paths';

export interface Connection {
  uri: string;
  identity?: string;
}

export interface ConnectionsFile {
  default?: string;
  connections: Record<string, Connection>;
}

export function connectionsPath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME || path.join(env.HOME || os.homedir(), '.config');
  return path.join(base, 'pier', 'connections.json');
}

export function readConnections(env: NodeJS.ProcessEnv = process.env): ConnectionsFile {
  try {
    const doc = JSON.parse(fs.readFileSync(connectionsPath(env), 'utf8'));
    return { default: doc.default, connections: doc.connections ?? {} };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { connections: {} };
    throw new PierError(`reading ${connectionsPath(env)}: ${(e as Error).message}`);
  }
}

export function writeConnections(doc: ConnectionsFile, env: NodeJS.ProcessEnv = process.env): void {
  const file = connectionsPath(env);
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}`;
  fs.writeFileSync(tmp, JSON.stringify(doc, null, 2) + '\n', { mode: 0o600 });
  fs.renameSync(tmp, file);
}

/** Checks a destination: unix:///abs, tcp://host:port, ssh://[user@]host[:port][/socket]. */
export function validateUri(uri: string): string {
  if (/^unix:\/\/\/.+/.test(uri) || /^tcp:\/\/[^:/]+:\d+\/?$/.test(uri) || /^ssh:\/\/([^@/]+@)?[^:/]+(:\d+)?(\/.*)?$/.test(uri)) return uri;
  throw new UsageError(`invalid connection URI "${uri}": use unix:///path, tcp://host:port or ssh://user@host[:port]/path/to/pier.sock`);
}

/**
 * The service a command talks to, or undefined for local mode: --url, else --connection, else
 * CONTAINER_HOST, else CONTAINER_CONNECTION, else (with --remote) the default connection or the
 * default socket.
 */
export function resolveRemote(g: { remote?: boolean; url?: string; connection?: string; identity?: string }, env: NodeJS.ProcessEnv = process.env): Connection | undefined {
  if (g.url) return { uri: validateUri(g.url), identity: g.identity };
  const named = g.connection ?? env.CONTAINER_CONNECTION;
  if (named) {
    const c = readConnections(env).connections[named];
    if (!c) throw new NotFoundError(`connection "${named}" not found`);
    return { uri: c.uri, identity: g.identity ?? c.identity };
  }
  if (env.CONTAINER_HOST) return { uri: validateUri(env.CONTAINER_HOST), identity: g.identity ?? env.CONTAINER_SSHKEY };
  if (!g.remote) return undefined;
  const doc = readConnections(env);
  if (doc.default && doc.connections[doc.default]) return { ...doc.connections[doc.default], identity: g.identity ?? doc.connections[doc.default].identity };
  return { uri: `unix://${defaultServiceSocket(env)}`, identity: g.identity };
}
