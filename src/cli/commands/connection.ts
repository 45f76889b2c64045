// `pier system connection add|ls|rm|default|rename`: named destinations of pier services for
// --connection and the remote default (stored in ~/.config/pier/connections.json).
import { CommandDef } from '../parser';
import { Ctx } from '../context';
import { readConnections, writeConnections, validateUri } from '../../config/connections';
import { NotFoundError, UsageError } from '../../util/errors';
import { formatList, isJSONFormat } from '../format/output';
import { asStruct } from '../format/govalue';
import { writeStdout } from '../../util/stdio';

const addCmd: CommandDef = {
  name: 'add',
  aliases: ['create'],
  summary: 'Record destination for the Pier service',
  description: 'Add destination to pier configuration.\n  "destination" is one of the form:\n    [user@]hostname (will default to ssh)\n    ssh://[user@]hostname[:port][/path] (will obtain socket path from service, if not given.)\n    tcp://hostname:port (not secured)\n    unix://path (absolute path required)',
  usage: '[options] NAME DESTINATION',
  example: 'pier system connection add laptop server.fubar.com\npier system connection add --identity ~/.ssh/dev_rsa testing ssh://root@server.fubar.com:2222\npier system connection add --identity ~/.ssh/dev_rsa --port 22 production root@server.fubar.com\npier system connection add debug tcp://localhost:8080',
  minArgs: 2,
  maxArgs: 2,
  flags: [
    { name: 'default', short: 'd', type: 'bool', help: 'Set connection to be default' },
    { name: 'identity', type: 'string', help: 'path to SSH identity file' },
    { name: 'port', short: 'p', type: 'int', default: 22, help: 'SSH port number for destination' },
    { name: 'socket-path', type: 'string', help: 'path to pier socket on remote host. (default \'/run/pier/pier.sock\' or \'/run/user/{uid}/pier/pier.sock)' },
  ],
  async run(_ctx: Ctx, args, opts) {
    const [name, dest] = args;
    let uri = dest;
    if (!/^[a-z]+:\/\//.test(uri)) {
      // [user@]host: ssh, with --port and --socket-path.
      uri = `ssh://${dest}${opts.changed?.has('port') ? `:${opts.port}` : ''}${opts.socketPath ?? ''}`;
    } else if (uri.startsWith('ssh://') && opts.socketPath && !/^ssh:\/\/[^/]+\/.+/.test(uri)) uri += opts.socketPath;
    validateUri(uri);
    const doc = readConnections();
    doc.connections[name] = { uri, ...(opts.identity ? { identity: opts.identity } : {}) };
    if (opts.default || !doc.default) doc.default = name;
    writeConnections(doc);
  },
};

function lsCmd(): CommandDef {
  return {
    name: 'list',
    aliases: ['ls'],
    summary: 'List destination for the Pier service(s)',
    description: 'List destination information for the Pier service(s) in pier configuration',
    usage: '[options]',
    maxArgs: 0,
    flags: [
      { name: 'format', short: 'f', type: 'string', help: 'Custom Go template for printing connections' },
      { name: 'quiet', short: 'q', type: 'bool', help: 'Custom Go template for printing connections' },
    ],
    async run(ctx: Ctx, _args, opts) {
      const doc = readConnections();
      const rows = Object.entries(doc.connections).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([Name, c]) => ({ Name, URI: c.uri, Identity: c.identity ?? '', Default: doc.default === Name }));
      if (isJSONFormat(opts.format)) { ctx.out(JSON.stringify(rows, null, 4)); return; }
      if (opts.quiet) { if (rows.length) ctx.out(rows.map((r) => r.Name).join('\n')); return; }
      const out = formatList(rows.map((r) => asStruct(r, 'connection')), opts.format, 'table {{.Name}}\t{{.URI}}\t{{.Identity}}\t{{.Default}}', { headers: { Name: 'Name', URI: 'URI', Identity: 'Identity', Default: 'Default' }, headersAsIs: true, name: 'ls' });
      if (out) writeStdout(out);
    },
  };
}

const rmCmd: CommandDef = {
  name: 'remove',
  aliases: ['rm'],
  summary: 'Delete named destination',
  description: 'Delete named destination from pier configuration',
  usage: '[options] NAME',
  maxArgs: 1,
  flags: [{ name: 'all', short: 'a', type: 'bool', help: 'Remove all connections' }],
  async run(_ctx: Ctx, args, opts) {
    const doc = readConnections();
    if (opts.all) { writeConnections({ connections: {} }); return; }
    if (!args.length) throw new UsageError('accepts 1 arg(s), received 0');
    delete doc.connections[args[0]];
    if (doc.default === args[0]) doc.default = undefined;
    writeConnections(doc);
  },
};

const defaultCmd: CommandDef = {
  name: 'default',
  summary: 'Set named destination as default',
  description: 'Set named destination as default for the Pier service',
  usage: 'NAME',
  minArgs: 1,
  maxArgs: 1,
  async run(_ctx: Ctx, args) {
    const doc = readConnections();
    if (!doc.connections[args[0]]) throw new NotFoundError(`"${args[0]}" destination is not defined. See "pier system connection add --help"`);
    doc.default = args[0];
    writeConnections(doc);
  },
};

const renameCmd: CommandDef = {
  name: 'rename',
  aliases: ['mv'],
  summary: 'Rename "old" to "new"',
  description: 'Rename destination for pier service from "old" to "new"',
  usage: 'OLD NEW',
  minArgs: 2,
  maxArgs: 2,
  async run(_ctx: Ctx, args) {
    const doc = readConnections();
    const c = doc.connections[args[0]];
    if (!c) throw new NotFoundError(`"${args[0]}" destination is not defined. See "pier system connection add --help"`);
    delete doc.connections[args[0]];
    doc.connections[args[1]] = c;
    if (doc.default === args[0]) doc.default = args[1];
    writeConnections(doc);
  },
};

export function connectionGroup(): CommandDef {
  return {
    name: 'connection',
    summary: 'Manage remote API service destinations',
    description: 'Manage remote API service destination information in pier configuration.\n\n  The user will be prompted for the ssh login password or key file passphrase as required.',
    usage: '[command]',
    subcommands: [addCmd, defaultCmd, lsCmd(), rmCmd, renameCmd],
  };
}
