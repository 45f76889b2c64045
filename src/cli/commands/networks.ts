// `pier network create|ls|inspect|rm|prune|exists|connect|disconnect|reload`, printing
// what podman 4.3 prints, over the domain's NetworkEngine (ctx.engines.networks()).
import { CommandDef } from '../parser';
import { Ctx } from '../context';
import { NotFoundError, PierError, UsageError, errorMessage } from '../../util/errors';
import { formatList, formatInspect, isJSONFormat } from '../format/output';
import { goJSON } from '../format/gojson';
import { asStruct } from '../format/govalue';
import type { NetworkInUseError as NetworkInUseErrorType } from '../../network/store';
import type { NetworkEngine, NetworkDef, ContainerNetworkSettings } from '../../domain/networks';
import { writeStdout, writeStderr } from '../../util/stdio';
import { goMap } from '../../util/gomap';

/** A NetworkInUseError (network/store.ts is loaded only when a removal failed). */
const isNetworkInUse = (e: unknown): e is NetworkInUseErrorType =>
  e instanceof (require('../../network/store') as typeof import('../../network/store')).NetworkInUseError;

/** The networks of the context's engines (local, or a service in remote mode). */
function networks(ctx: Ctx): NetworkEngine {
  return ctx.engines.networks();
}

/** `k=v` list → map; a bare `k` maps to ''. */
function keyValues(list: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of list) {
    const eq = item.indexOf('=');
    if (eq < 0) out[item] = '';
    else out[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return out;
}

/** Print every error but the last to stderr; throw the last with `exitCode`. */
function failWith(errors: string[], exitCode: number): never {
  for (const e of errors.slice(0, -1)) writeStderr(`Error: ${e}\n`);
  throw new PierError(errors[errors.length - 1], exitCode);
}

function readStdinLine(): Promise<string | null> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const stdin = process.stdin;
    const done = (v: string | null) => { cleanup(); resolve(v); };
    const onData = (c: Buffer) => { buf += c.toString('utf8'); const nl = buf.indexOf('\n'); if (nl >= 0) done(buf.slice(0, nl)); };
    const onEnd = () => done(buf.length ? buf : null);
    const onError = (e: Error) => { cleanup(); reject(e); };
    const cleanup = () => { stdin.off('data', onData); stdin.off('end', onEnd); stdin.off('error', onError); stdin.pause(); };
    stdin.on('data', onData); stdin.on('end', onEnd); stdin.on('error', onError);
    stdin.resume();
  });
}

/** podman's types.Network as a Go struct for templates. */
function networkStruct(n: NetworkDef, listRow: boolean, noTrunc = false): object {
  const labels = n.labels ?? {};
  return asStruct({
    Name: n.name,
    ID: listRow && !noTrunc ? n.id.slice(0, 12) : n.id,
    Driver: n.driver,
    NetworkInterface: n.network_interface ?? '',
    Created: new Date(n.created),
    Subnets: (n.subnets ?? []).map((s) => asStruct({
      Subnet: s.subnet, Gateway: s.gateway ?? '', LeaseRange: s.lease_range ? asStruct({ StartIP: s.lease_range.start_ip ?? '', EndIP: s.lease_range.end_ip ?? '' }, 'types.LeaseRange') : null,
    }, 'types.Subnet')),
    IPv6Enabled: n.ipv6_enabled,
    Internal: n.internal,
    DNSEnabled: n.dns_enabled,
    // `network ls` rows print labels as k=v,k=v (podman's ListPrintReports.Labels()).
    Labels: listRow ? Object.entries(goMap(labels)).map(([k, v]) => `${k}=${v}`).join(',') : goMap(labels),
    Options: goMap(n.options),
    IPAMOptions: goMap(n.ipam_options),
  }, listRow ? 'network.ListPrintReports' : 'types.Network');
}

// ---------------------------------------------------------------------------------------

function createCmd(): CommandDef {
  return {
    name: 'create',
    summary: 'network create',
    description: 'Create networks for containers and pods',
    usage: '[options] [NAME]',
    example: ['pier network create pier1', 'pier network create --subnet 192.5.0.0/16 --gateway 192.5.0.3 --ip-range 192.5.1.0/24 net', 'pier network create --ipv6 net6'].join('\n'),
    maxArgs: 1,
    flags: [
      { name: 'disable-dns', type: 'bool', help: 'disable dns plugin' },
      { name: 'driver', short: 'd', type: 'string', default: 'bridge', help: 'driver to manage the network' },
      { name: 'gateway', type: 'stringArray', valueName: 'ipSlice', help: 'IPv4 or IPv6 gateway for the subnet', hideDefault: true },
      { name: 'ignore', type: 'bool', help: "Don't fail if network already exists" },
      { name: 'interface-name', type: 'string', help: 'interface name which is used by the driver' },
      { name: 'internal', type: 'bool', help: 'restrict external access from this network' },
      { name: 'ip-range', type: 'stringArray', valueName: 'strings', help: 'allocate container IP from range', hideDefault: true },
      { name: 'ipam-driver', type: 'string', help: 'IP Address Management Driver' },
      { name: 'ipv6', type: 'bool', help: 'enable IPv6 networking' },
      { name: 'label', type: 'stringArray', valueName: 'stringArray', help: 'set metadata on a network', hideDefault: true },
      { name: 'opt', short: 'o', type: 'stringArray', valueName: 'stringArray', help: 'Set driver specific options (default [])', hideDefault: true },
      { name: 'subnet', type: 'stringArray', valueName: 'strings', help: 'subnets in CIDR format', hideDefault: true },
    ],
    async run(ctx: Ctx, args, opts) {
      const split = (l: string[] | undefined) => (l ?? []).flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);
      const def = await networks(ctx).create({
        name: args[0],
        driver: opts.driver,
        subnets: split(opts.subnet),
        gateways: split(opts.gateway),
        ipRanges: split(opts.ipRange),
        internal: !!opts.internal,
        disableDns: !!opts.disableDns,
        ipv6: !!opts.ipv6,
        options: keyValues(opts.opt ?? []),
        labels: keyValues(opts.label ?? []),
        interfaceName: opts.interfaceName || undefined,
        ipamDriver: opts.ipamDriver || undefined,
        ignore: !!opts.ignore,
      });
      ctx.out(def.name);
    },
  };
}

function lsCmd(): CommandDef {
  return {
    name: 'ls',
    aliases: ['list'],
    summary: 'network list',
    description: 'List networks',
    usage: '[options]',
    example: 'pier network list',
    maxArgs: 0,
    flags: [
      { name: 'filter', short: 'f', type: 'stringArray', valueName: 'strings', help: 'Provide filter values (e.g. \'name=podman\')', hideDefault: true },
      { name: 'format', type: 'string', help: 'Pretty-print networks to JSON or using a Go template' },
      { name: 'no-trunc', type: 'bool', help: 'Do not truncate the network ID' },
      { name: 'noheading', type: 'bool', help: 'Do not print headers' },
      { name: 'quiet', short: 'q', type: 'bool', help: 'display only names' },
    ],
    async run(ctx: Ctx, _args, opts) {
      const nets = await networks(ctx).list(opts.filter ?? []);
      const format: string | undefined = opts.format || undefined;
      if (isJSONFormat(format)) { ctx.out(goJSON(nets, { indent: '  ', escapeHTML: true })); return; }
      if (opts.quiet && !format) { if (nets.length) ctx.out(nets.map((n) => n.name).join('\n')); return; }
      ctx.out(formatList(nets.map((n) => networkStruct(n, true, !!opts.noTrunc)), format, 'table {{.ID}}\t{{.Name}}\t{{.Driver}}', {
        noHeading: !!opts.noheading, headers: { ID: 'NETWORK ID' }, name: 'list',
      }));
    },
  };
}

const inspectCmd: CommandDef = {
  name: 'inspect',
  summary: 'Inspect network',
  description: 'Displays the network configuration for one or more networks.',
  usage: '[options] NETWORK [NETWORK...]',
  example: ['pier network inspect pier', 'pier network inspect --format "{{.Name}} {{.Subnets}}" pier'].join('\n'),
  minArgs: 1,
  flags: [{ name: 'format', short: 'f', type: 'string', help: 'Pretty-print network to JSON or using a Go template' }],
  async run(ctx: Ctx, args, opts) {
    const found: NetworkDef[] = [];
    const errors: string[] = [];
    for (const a of args) {
      try { found.push(await networks(ctx).inspect(a)); } catch (e) {
        if (!(e instanceof NotFoundError)) throw e;
        errors.push(errorMessage(e));
      }
    }
    const format: string | undefined = opts.format || undefined;
    if (!format || isJSONFormat(format)) ctx.out(formatInspect(found));
    else if (found.length) ctx.out(formatInspect(found.map((n) => networkStruct(n, false)), format));
    if (errors.length) failWith(errors, 125);
  },
};

function rmCmd(): CommandDef {
  return {
    name: 'rm',
    aliases: ['remove'],
    summary: 'network rm',
    description: 'Remove networks',
    usage: '[options] NETWORK [NETWORK...]',
    example: ['pier network rm pier1', 'pier network rm -f pier1'].join('\n'),
    minArgs: 1,
    flags: [
      { name: 'force', short: 'f', type: 'bool', help: 'remove any containers using network' },
      { name: 'time', short: 't', type: 'int', valueName: 'int', default: 10, help: 'Seconds to wait for running containers to stop before killing the container' },
    ],
    async run(ctx: Ctx, args, opts) {
      if (opts.changed?.has('time') && !opts.force) throw new UsageError('--force option must be specified to use the --time option');
      const errors: string[] = [];
      let code = 0;
      for (const a of args) {
        try {
          const name = await networks(ctx).remove(a, { force: !!opts.force, timeout: opts.time });
          ctx.out(name);
        } catch (e) {
          // --force also means a network that does not exist is no error (podman skips it silently).
          const missing = e instanceof NotFoundError || /network not found/.test(errorMessage(e));
          if (missing && opts.force) continue;
          if (missing) { errors.push(errorMessage(e)); code = code || 1; continue; }
          if (isNetworkInUse(e)) { errors.push(errorMessage(e)); code = 2; continue; }
          errors.push(errorMessage(e)); code = 125;
        }
      }
      if (errors.length) failWith(errors, code);
    },
  };
}

function pruneCmd(): CommandDef {
  return {
    name: 'prune',
    summary: 'network prune',
    description: 'Prune unused networks',
    usage: '[options]',
    example: 'pier network prune',
    maxArgs: 0,
    flags: [
      { name: 'filter', type: 'stringArray', valueName: 'strings', help: 'Provide filter values (e.g. \'label=<key>=<value>\')', hideDefault: true },
      { name: 'force', short: 'f', type: 'bool', help: 'do not prompt for confirmation' },
    ],
    async run(ctx: Ctx, _args, opts) {
      if (!opts.force) {
        writeStdout('WARNING! This will remove all networks not used by at least one container.\nAre you sure you want to continue? [y/N] ');
        const answer = await readStdinLine();
        if (answer === null) throw new PierError('EOF');
        if (!answer.trim().toLowerCase().startsWith('y')) return;
      }
      const removed = await networks(ctx).prune(opts.filter ?? []);
      if (removed.length) ctx.out(removed.join('\n'));
    },
  };
}

const existsCmd: CommandDef = {
  name: 'exists',
  summary: 'network exists',
  description: 'If the named network exists, pier network exists exits with 0, otherwise the exit code will be 1.',
  usage: 'NETWORK',
  example: 'pier network exists net1',
  minArgs: 1,
  maxArgs: 1,
  async run(ctx: Ctx, args) {
    return (await networks(ctx).exists(args[0])) ? 0 : 1;
  },
};

function connectCmd(): CommandDef {
  return {
    name: 'connect',
    summary: 'network connect',
    description: 'Add container to a network',
    usage: '[options] NETWORK CONTAINER',
    example: 'pier network connect web secondary',
    minArgs: 2,
    maxArgs: 2,
    flags: [
      { name: 'alias', type: 'stringArray', valueName: 'strings', help: 'network scoped alias for container', hideDefault: true },
      { name: 'ip', type: 'string', help: 'set a static ipv4 address for this container network' },
      { name: 'ip6', type: 'string', help: 'set a static ipv6 address for this container network' },
      { name: 'mac-address', type: 'string', help: 'set a static mac address for this container network' },
    ],
    async run(ctx: Ctx, args, opts) {
      const [network, container] = args;
      const settings: ContainerNetworkSettings = {
        aliases: (opts.alias ?? []).flatMap((a: string) => a.split(',')).filter(Boolean),
        staticIps: [opts.ip, opts.ip6].filter(Boolean),
        staticMac: opts.macAddress || undefined,
      };
      await networks(ctx).connect(network, container, settings);
    },
  };
}

function disconnectCmd(): CommandDef {
  return {
    name: 'disconnect',
    summary: 'network rm',
    description: 'Remove container from a network',
    usage: '[options] NETWORK CONTAINER',
    example: 'pier network disconnect web secondary',
    minArgs: 2,
    maxArgs: 2,
    flags: [{ name: 'force', short: 'f', type: 'bool', help: 'force removal of container from network' }],
    async run(ctx: Ctx, args, opts) {
      const [network, container] = args;
      await networks(ctx).disconnect(network, container, { force: !!opts.force });
    },
  };
}

function reloadCmd(): CommandDef {
  return {
    name: 'reload',
    summary: 'Reload firewall rules for one or more containers',
    description: 'reload container networks, recreating firewall rules',
    usage: '[options] [CONTAINER...]',
    example: ['pier network reload --all', 'pier network reload ctr1'].join('\n'),
    flags: [
      { name: 'all', short: 'a', type: 'bool', help: 'Reload network configuration of all containers' },
      { name: 'latest', short: 'l', type: 'bool', help: 'Act on the latest container pier is aware of' },
    ],
    async run(ctx: Ctx, args, opts) {
      if (opts.all && args.length) throw new UsageError('--all and containers cannot be used together');
      if (!opts.all && !opts.latest && args.length === 0) throw new UsageError('specify one or more containers, --all or --latest');
      const { ids, errors } = await networks(ctx).reload({ containers: args, all: !!opts.all, latest: !!opts.latest });
      for (const id of ids) ctx.out(id);
      if (errors.length) failWith(errors, 125);
    },
  };
}

/** `pier network` and its subcommands. */
export function networkGroup(): CommandDef {
  return {
    name: 'network',
    summary: 'Manage networks',
    description: 'Manage networks',
    usage: '[command]',
    subcommands: [
      connectCmd(), createCmd(), disconnectCmd(), existsCmd, inspectCmd, lsCmd(), pruneCmd(), reloadCmd(), rmCmd(),
    ],
  };
}

