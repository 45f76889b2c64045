// `pier pod ...`: create, start, stop, restart, kill, pause, unpause, rm, ps/ls, inspect, top,
// stats, logs, exists, prune, clone. They call the PodEngine and print what podman 4.3 prints.
import * as fs from 'node:fs';
import { CommandDef, OLD_FLAG_NAMES } from '../parser';
import { Ctx } from '../context';
import type { PodEngine, PodSummary, PodCreateOptions } from '../../domain/pods';
import { NotFoundError, PierError, UsageError, errorMessage } from '../../util/errors';
import { formatList, formatInspect, isJSONFormat } from '../format/output';
import { goJSON } from '../format/gojson';
import { asStruct } from '../format/govalue';
import { humanDuration } from '../format/units';
import { tabwriter } from '../format/tabwriter';
import { writeStdout, writeStderr } from '../../util/stdio';
import { parseSignal } from '../../util/signals';
import { goMap } from '../../util/gomap';

const latestFlag = { name: 'latest', short: 'l', type: 'bool' as const, help: 'Act on the latest pod pier is aware of' };
const allFlag = (what: string) => ({ name: 'all', short: 'a', type: 'bool' as const, help: `${what} all pods` });

function pods(ctx: Ctx): PodEngine {
  return ctx.pods();
}

/** The pods a command acts on: its arguments, --all or --latest (exclusive, as podman checks). */
async function targets(ctx: Ctx, args: string[], opts: any, verb: string): Promise<string[]> {
  // --all with --latest, and --latest with names, are refused for every command in cli/index.ts.
  // podman's words: `pod stats` has its own check, the others share the containers' one.
  if (opts.all && args.length) {
    throw new UsageError(verb === 'stats' ? '--all, --latest and arguments cannot be used together' : 'no arguments are needed with --all');
  }
  if (opts.all) return pods(ctx).ids();
  if (opts.latest) {
    const ids = await pods(ctx).ids();
    if (!ids.length) throw new PierError('no pods to ' + verb);
    return [ids[0]];
  }
  if (!args.length) throw new UsageError(`you must provide at least one pod name or id`);
  return args;
}

/** Runs `fn` per pod; prints each result; errors go to stderr and the last one sets the exit code. */
async function perPod(ctx: Ctx, names: string[], fn: (n: string) => Promise<string | undefined>): Promise<number> {
  let failed: PierError | undefined;
  for (const n of names) {
    try {
      const out = await fn(n);
      if (out) ctx.out(out);
    } catch (e) {
      if (failed) writeStderr(`Error: ${failed.message}\n`);
      failed = e instanceof PierError ? e : new PierError(errorMessage(e));
    }
  }
  if (failed) throw failed;
  return 0;
}

function keyValues(list: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of list.flatMap((l) => l.split(',')).filter(Boolean)) {
    const eq = item.indexOf('=');
    out[eq < 0 ? item : item.slice(0, eq)] = eq < 0 ? '' : item.slice(eq + 1);
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// create

const createCmd: CommandDef = {
  name: 'create',
  flagAliases: OLD_FLAG_NAMES,
  summary: 'Create a new empty pod',
  description: 'After creating the pod, the pod ID is printed to stdout.\n\n  You can then start it at any time with the  pier pod start <pod_id> command. The pod will be created with the initial state \'created\'.',
  usage: '[options] [NAME]',
  example: 'pier pod create\npier pod create --label foo=bar mypod\npier pod create --publish 8443:443',
  maxArgs: 1,
  flags: [
    { name: 'add-host', type: 'stringArray', valueName: 'host:ip', help: 'Add a custom host-to-IP mapping (host:ip)' },
    { name: 'dns', type: 'stringArray', valueName: 'ip', help: 'Set custom DNS servers' },
    { name: 'dns-option', type: 'stringArray', valueName: 'option', help: 'Set custom DNS options' },
    { name: 'dns-search', type: 'stringArray', valueName: 'domain', help: 'Set custom DNS search domains' },
    { name: 'exit-policy', type: 'string', default: 'continue', help: 'Behaviour when the last container exits' },
    { name: 'hostname', type: 'string', help: 'Set container hostname' },
    { name: 'infra', type: 'bool', default: true, help: 'Create an infra container associated with the pod to share namespaces with' },
    { name: 'infra-command', type: 'string', valueName: 'command', help: 'The command to run on the infra container when the pod is started' },
    { name: 'infra-image', type: 'string', valueName: 'image', help: 'The image of the infra container to associate with the pod' },
    { name: 'infra-name', type: 'string', help: 'The name used as infra container name' },
    { name: 'ip', type: 'string', help: 'Specify a static IPv4 address for the container' },
    { name: 'label', short: 'l', type: 'stringArray', help: 'Set metadata on pod (default [])' },
    { name: 'label-file', type: 'stringArray', help: 'Read in a line delimited file of labels' },
    { name: 'mac-address', type: 'string', help: 'Container MAC address (e.g. 92:d0:c6:0a:29:33)' },
    { name: 'name', short: 'n', type: 'string', help: 'Assign a name to the pod' },
    { name: 'network', type: 'stringArray', help: 'Connect a container to a network' },
    { name: 'network-alias', type: 'stringArray', help: 'Add network-scoped alias for the container' },
    { name: 'pod-id-file', type: 'string', help: 'Write the pod ID to the file' },
    { name: 'publish', short: 'p', type: 'stringArray', help: "Publish a container's port, or a range of ports, to the host (default [])" },
    { name: 'replace', type: 'bool', help: 'If a pod with the same name exists, replace it' },
    { name: 'share', type: 'string', default: 'ipc,net,uts', help: 'A comma delimited list of kernel namespaces the pod will share' },
  ],
  async run(ctx: Ctx, args, opts) {
    if (args.length && opts.name) throw new UsageError('cannot specify --name and NAME at the same time');
    const labels: Record<string, string> = {};
    for (const f of opts.labelFile ?? []) {
      for (const l of fs.readFileSync(f, 'utf8').split('\n').map((x: string) => x.trim()).filter((x: string) => x && !x.startsWith('#'))) Object.assign(labels, keyValues([l]));
    }
    Object.assign(labels, keyValues(opts.label ?? []));
    // podman: a pod sharing no namespace gets no infra container unless --infra was given; a
    // leading `+` adds to the default set (ipc, net, uts).
    const shareText = String(opts.share);
    const infra = opts.changed?.has('infra') ? opts.infra !== false : !(shareText === 'none' || shareText === '');
    if (!infra) {
      for (const [flag, name] of [['ip', 'ip'], ['mac-address', 'mac'], ['network-alias', 'network-alias']]) {
        if (opts.changed?.has(flag)) throw new UsageError(`cannot set --${name} without infra container: invalid argument`);
      }
      if (opts.changed?.has('share') && shareText !== 'none' && shareText !== '') throw new UsageError(`cannot set share(${shareText}) namespaces without an infra container`);
      if (opts.publish?.length) throw new UsageError('you must have an infra container to publish port bindings to the host');
    }
    const share = infra ? [...(shareText.startsWith('+') ? ['ipc', 'net', 'uts'] : []), ...shareText.replace(/^\+/, '').split(',').map((s) => s.trim()).filter(Boolean)] : [];
    const o: PodCreateOptions = {
      name: args[0] ?? opts.name, hostname: opts.hostname, labels, share: [...new Set(share)],
      infra, infraImage: infra ? opts.infraImage : undefined, infraName: infra ? opts.infraName : undefined,
      infraCommand: infra && opts.infraCommand ? (opts.infraCommand.trim().startsWith('[') ? JSON.parse(opts.infraCommand) : opts.infraCommand.split(' ')) : undefined,
      publish: opts.publish?.length ? opts.publish : undefined, networks: opts.network?.length ? opts.network : undefined,
      networkAliases: opts.networkAlias?.length ? opts.networkAlias : undefined, addHost: opts.addHost?.length ? opts.addHost : undefined,
      dns: opts.dns?.length ? opts.dns : undefined, dnsSearch: opts.dnsSearch?.length ? opts.dnsSearch : undefined,
      dnsOption: opts.dnsOption?.length ? opts.dnsOption : undefined, ip: opts.ip, macAddress: opts.macAddress,
      exitPolicy: opts.exitPolicy, replace: !!opts.replace, createCommand: ['pier', ...process.argv.slice(2)],
    };
    const id = await pods(ctx).create(o);
    if (opts.podIdFile) fs.writeFileSync(opts.podIdFile, id);
    ctx.out(id);
  },
};

// ---------------------------------------------------------------------------------------
// start, stop, restart, kill, pause, unpause

function lifecycleCmd(name: string, summary: string, verb: string, fn: (e: PodEngine, n: string, opts: any) => Promise<unknown>, extraFlags: CommandDef['flags'] = []): CommandDef {
  return {
    name,
    summary,
    ...(name === 'stop' ? { flagAliases: OLD_FLAG_NAMES } : {}),
    description: summary,
    usage: '[options] POD [POD...]',
    example: `pier pod ${name} podID\npier pod ${name} --all`,
    flags: [allFlag(name.charAt(0).toUpperCase() + name.slice(1)), latestFlag, ...extraFlags],
    async run(ctx: Ctx, args, opts) {
      // A bad signal is refused before any pod is looked up (podman).
      if (name === 'kill') parseSignal(String(opts.signal ?? 'KILL'));
      const names = await targets(ctx, args, opts, verb);
      return perPod(ctx, names, async (n) => {
        await fn(pods(ctx), n, opts);
        return (await pods(ctx).inspect(n).catch(() => ({ Id: n }))).Id as string;
      });
    },
  };
}

const startCmd = lifecycleCmd('start', 'Start one or more pods', 'start', (e, n) => e.start(n));
const stopCmd = lifecycleCmd('stop', 'Stop one or more pods', 'stop', (e, n, o) => e.stop(n, { timeout: o.changed?.has('time') ? o.time : undefined, ignore: o.ignore }), [
  { name: 'ignore', short: 'i', type: 'bool', help: 'Ignore errors when a specified pod is missing' },
  { name: 'time', short: 't', type: 'int', default: 10, help: 'Seconds to wait for pod stop before killing the container' },
]);
const restartCmd = lifecycleCmd('restart', 'Restart one or more pods', 'restart', (e, n) => e.restart(n));
const killCmd = lifecycleCmd('kill', 'Send the specified signal or SIGKILL to containers in pod', 'kill', (e, n, o) => e.kill(n, o.signal), [
  { name: 'signal', short: 's', type: 'string', default: 'KILL', help: 'Signal to send to the containers in the pod' },
]);
const pauseCmd = lifecycleCmd('pause', 'Pause one or more pods', 'pause', (e, n) => e.pause(n));
const unpauseCmd = lifecycleCmd('unpause', 'Unpause one or more pods', 'unpause', (e, n) => e.unpause(n));

// ---------------------------------------------------------------------------------------
// rm, prune, exists

const rmCmd: CommandDef = {
  name: 'rm',
  aliases: ['remove'],
  summary: 'Remove one or more pods',
  description: 'pier rm will remove one or more stopped pods and their containers from the host.\n\n  The pod name or ID can be used.  A pod with containers will not be removed without --force. If --force is specified, all containers will be stopped, then removed.',
  usage: '[options] POD [POD...]',
  example: 'pier pod rm mywebserverpod\npier pod rm -f 860a4b23\npier pod rm -f -a',
  flags: [
    allFlag('Remove'),
    { name: 'force', short: 'f', type: 'bool', help: 'Force removal of a running pod by first stopping all containers, then removing all containers in the pod.  The default is false' },
    { name: 'ignore', short: 'i', type: 'bool', help: 'Ignore errors when a specified pod is missing' },
    latestFlag,
    { name: 'pod-id-file', type: 'stringArray', help: 'Read the pod ID from the file' },
    { name: 'time', short: 't', type: 'int', default: 10, help: 'Seconds to wait for pod stop before killing the container' },
  ],
  async run(ctx: Ctx, args, opts) {
    if (opts.changed?.has('time') && !opts.force) throw new UsageError('--force option must be specified to use the --time option');
    const fromFiles = (opts.podIdFile ?? []).map((f: string) => fs.readFileSync(f, 'utf8').trim());
    let names: string[] = fromFiles.length && !args.length && !opts.all && !opts.latest ? fromFiles : await targets(ctx, [...args, ...fromFiles], opts, 'remove');
    if (!opts.all && !opts.latest) {
      // podman looks every pod up before removing any: a missing one is exit 1 (and nothing
      // removed), unless --ignore or --force (which says nothing of it) skips it.
      const missing: string[] = [];
      for (const n of names) if (!(await pods(ctx).exists(n))) missing.push(n);
      if (missing.length && !opts.ignore && !opts.force) throw new PierError(`no pod with name or ID ${missing[0]} found: no such pod`, 1);
      names = names.filter((n) => !missing.includes(n));
    }
    return perPod(ctx, names, async (n) => {
      try {
        const r = await pods(ctx).remove(n, { force: !!opts.force, ignore: !!opts.ignore, timeout: opts.changed?.has('time') ? opts.time : undefined });
        return r?.Id;
      } catch (e) {
        // Gone meanwhile: no error with --force, else podman's exit 1.
        if (!(e instanceof NotFoundError) && !/no such pod/.test(errorMessage(e))) throw e;
        if (opts.force) return undefined;
        throw new PierError(errorMessage(e), 1);
      }
    });
  },
};

const pruneCmd: CommandDef = {
  name: 'prune',
  summary: 'Remove all stopped pods and their containers',
  description: 'Remove all stopped pods and their containers',
  usage: '[options]',
  maxArgs: 0,
  flags: [{ name: 'force', short: 'f', type: 'bool', help: 'Do not prompt for confirmation.  The default is false' }],
  async run(ctx: Ctx, _args, opts) {
    if (!opts.force) {
      writeStdout('WARNING! This will remove all stopped/exited pods..\nAre you sure you want to continue? [y/N] ');
      const answer = await new Promise<string>((resolve) => {
        let buf = '';
        process.stdin.on('data', (d) => { buf += d; if (buf.includes('\n')) resolve(buf); });
        process.stdin.on('end', () => resolve(buf));
      });
      process.stdin.pause();
      if (!/^y(es)?$/i.test(answer.trim())) return 0;
    }
    const ids = await pods(ctx).prune();
    if (ids.length) ctx.out(ids.join('\n'));
  },
};

const existsCmd: CommandDef = {
  name: 'exists',
  summary: 'Check if a pod exists in local storage',
  description: 'If the named pod exists in local storage, pier pod exists exits with 0, otherwise the exit code will be 1.',
  usage: 'POD',
  minArgs: 1,
  maxArgs: 1,
  async run(ctx: Ctx, args) {
    return (await pods(ctx).exists(args[0])) ? 0 : 1;
  },
};

// ---------------------------------------------------------------------------------------
// ps, inspect

const PS_HEADERS: Record<string, string> = {
  ID: 'POD ID', Created: 'CREATED', InfraID: 'INFRA ID', NumberOfContainers: '# OF CONTAINERS', ContainerNames: 'NAMES',
  ContainerIds: 'IDS', ContainerStatuses: 'STATUS', Networks: 'NETWORKS', Cgroup: 'CGROUP',
};

function psRow(p: PodSummary, noTrunc: boolean, now: number): Record<string, unknown> {
  const created = Date.parse(p.Created);
  return asStruct({
    ...p,
    ID: noTrunc ? p.Id : p.Id.slice(0, 12),
    Name: p.Name,
    Status: p.Status,
    Created: humanDuration(now - created) + ' ago',
    InfraID: noTrunc ? p.InfraId : p.InfraId.slice(0, 12),
    NumberOfContainers: String(p.Containers.length),
    ContainerNames: p.Containers.map((c) => c.Names).join(','),
    ContainerIds: p.Containers.map((c) => (noTrunc ? c.Id : c.Id.slice(0, 12))).join(','),
    ContainerStatuses: p.Containers.map((c) => c.Status).join(','),
    Networks: p.Networks.join(','),
    Labels: goMap(p.Labels),
  }, '*pods.ListPodReporter');
}

function psCmd(name: string, aliases: string[]): CommandDef {
  return {
    name,
    aliases,
    flagAliases: OLD_FLAG_NAMES,
    summary: 'List pods',
    description: 'List all pods on system including their names, ids and current state.',
    usage: '[options]',
    maxArgs: 0,
    flags: [
      { name: 'ctr-ids', type: 'bool', help: 'Display the container UUIDs. If no-trunc is not set they will be truncated' },
      { name: 'ctr-names', type: 'bool', help: 'Display the container names' },
      { name: 'ctr-status', type: 'bool', help: 'Display the container status' },
      { name: 'filter', short: 'f', type: 'stringArray', help: 'Filter output based on conditions given' },
      { name: 'format', type: 'string', help: 'Pretty-print pods to JSON or using a Go template' },
      latestFlag,
      { name: 'noheading', type: 'bool', help: 'Do not print headers' },
      { name: 'no-trunc', type: 'bool', help: 'Do not truncate pod and container IDs' },
      { name: 'ns', type: 'bool', help: 'Display namespace information of the pod' },
      { name: 'quiet', short: 'q', type: 'bool', help: 'Print the numeric IDs of the pods only' },
      { name: 'sort', type: 'string', default: 'created', help: 'Sort output by created, id, name, or number' },
    ],
    async run(ctx: Ctx, _args, opts) {
      if (!['created', 'id', 'name', 'number', 'status'].includes(opts.sort)) throw new UsageError(`invalid option for --sort, options are: id, name, number, or status`);
      let rows = await pods(ctx).list({ filters: (opts.filter ?? []).flatMap((f: string) => f.split(',')).filter(Boolean) });
      const sorters: Record<string, (a: PodSummary, b: PodSummary) => number> = {
        created: (a, b) => Date.parse(b.Created) - Date.parse(a.Created),
        id: (a, b) => (a.Id < b.Id ? -1 : a.Id > b.Id ? 1 : 0),
        name: (a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0),
        number: (a, b) => a.Containers.length - b.Containers.length,
        status: (a, b) => (a.Status < b.Status ? -1 : a.Status > b.Status ? 1 : 0),
      };
      rows = [...rows].sort(sorters[opts.sort]);
      if (opts.latest) rows = rows.slice(0, 1);
      if (isJSONFormat(opts.format)) { ctx.out(goJSON(rows, { indent: '  ', escapeHTML: false })); return; }
      if (opts.quiet) { if (rows.length) ctx.out(rows.map((r) => (opts.noTrunc ? r.Id : r.Id.slice(0, 12))).join('\n')); return; }
      let cols = '{{.ID}}\t{{.Name}}\t{{.Status}}\t{{.Created}}\t{{.InfraID}}';
      if (opts.ctrIds) cols += '\t{{.ContainerIds}}';
      if (opts.ctrNames) cols += '\t{{.ContainerNames}}';
      if (opts.ctrStatus) cols += '\t{{.ContainerStatuses}}';
      if (opts.ns) cols += '\t{{.Cgroup}}';
      if (!opts.ctrIds && !opts.ctrNames && !opts.ctrStatus) cols += '\t{{.NumberOfContainers}}';
      const now = Date.now();
      const format = opts.changed?.has('format') ? opts.format : undefined;
      const out = formatList(rows.map((r) => psRow(r, !!opts.noTrunc, now)), format, `table ${cols}`, {
        noHeading: !!opts.noheading || (!!format && !String(format).startsWith('table')), headers: PS_HEADERS, name: 'ps',
      });
      if (out) writeStdout(out);
    },
  };
}

const inspectCmd: CommandDef = {
  name: 'inspect',
  summary: 'Displays a pod configuration',
  description: 'Display the configuration for a pod by name or id\n\n  By default, this will render all results in a JSON array.',
  usage: '[options] POD [POD...]',
  flags: [{ name: 'format', short: 'f', type: 'string', default: 'json', help: 'Format the output to a Go template or json' }, latestFlag],
  async run(ctx: Ctx, args, opts) {
    const names = opts.latest ? await targets(ctx, args, opts, 'inspect') : args;
    if (!names.length) throw new UsageError('you must provide the name or id of a pod');
    const found: Record<string, unknown>[] = [];
    const errors: string[] = [];
    for (const n of names) {
      try { found.push(await pods(ctx).inspect(n)); } catch (e) {
        if (!(e instanceof NotFoundError)) throw e;
        errors.push(`no such pod ${n}`);
      }
    }
    const format: string | undefined = opts.format;
    if (!format || isJSONFormat(format)) {
      // podman 4.3 prints a single pod as an object, several as a list.
      if (found.length === 1) ctx.out(goJSON(found[0], { indent: '     ', escapeHTML: false }));
      else if (found.length) ctx.out(goJSON(found, { indent: '     ', escapeHTML: false }));
    } else if (found.length) {
      ctx.out(formatInspect(found.map((f) => asStruct(f, 'define.InspectPodData')), format));
    }
    if (errors.length) {
      for (const e of errors.slice(0, -1)) writeStderr(`Error: ${e}\n`);
      throw new PierError(errors[errors.length - 1]);
    }
  },
};

// ---------------------------------------------------------------------------------------
// top, stats, logs

const topCmd: CommandDef = {
  name: 'top',
  summary: 'Display the running processes of containers in a pod',
  description: 'Display the running processes of containers in a pod.',
  usage: '[options] POD [FORMAT-DESCRIPTORS|ARGS...]',
  example: 'pier pod top podID\npier pod top podID pid seccomp args %C',
  interspersed: false,
  flags: [latestFlag],
  async run(ctx: Ctx, args, opts) {
    const name = opts.latest ? (await targets(ctx, [], opts, 'top'))[0] : args[0];
    if (!name) throw new UsageError('you must provide the name or id of a running pod');
    const { containerOps } = require('./container-ops') as typeof import('./container-ops');
    // Remote mode: each container's top comes from the service.
    const remote = ctx.containers() as { top?: (id: string, d: string[]) => Promise<string[][]> };
    const ops = remote.top ? { top: (id: string, d: string[]) => remote.top!(id, d) } : containerOps(ctx);
    const ids = await pods(ctx).containerIds(name);
    let header: string[] | undefined;
    const rows: string[][] = [];
    for (const id of ids) {
      const c = await ctx.containers().inspect(id) as any;
      if (c.State?.Status !== 'running') continue;
      const r = await ops.top(id, opts.latest ? args : args.slice(1));
      header ??= r[0];
      rows.push(...r.slice(1));
    }
    if (!header) throw new PierError(`pod ${name} is not running: no running containers`);
    writeStdout(tabwriter([header, ...rows]) + '\n');
  },
};

const statsCmd: CommandDef = {
  name: 'stats',
  summary: 'Display a live stream of resource usage statistics for the containers in one or more pods',
  description: 'Display the containers\' CPU, memory, network I/O, block I/O and PIDs for one or more pods.',
  usage: '[options] [POD...]',
  flags: [
    allFlag('Provide stats for'),
    { name: 'format', type: 'string', help: 'Pretty-print container statistics to JSON or using a Go template' },
    latestFlag,
    { name: 'no-reset', type: 'bool', help: 'Disable resetting the screen when streaming' },
    { name: 'no-stream', type: 'bool', help: 'Disable streaming stats and only pull the first result' },
  ],
  async run(ctx: Ctx, args, opts) {
    const { statsOps, renderStats } = require('./container-ops') as typeof import('./container-ops');
    const ops = statsOps(ctx);
    const names = args.length || opts.latest ? await targets(ctx, args, opts, 'stats') : await pods(ctx).ids();
    const prev = new Map<string, any>();
    let stop = false;
    process.once('SIGINT', () => { stop = true; });
    for (;;) {
      const ids: string[] = [];
      for (const n of names) ids.push(...await pods(ctx).containerIds(n));
      const recs = (await ops.statsTargets(ids, false)).filter((c) => c.state.status === 'running' || c.state.status === 'paused');
      const stats = await ops.stats(recs, prev);
      for (const s of stats) prev.set(s.ContainerID, s);
      if (!opts.noStream && !opts.noReset && process.stdout.isTTY) writeStdout('\x1b[2J\x1b[1;1H');
      writeStdout(renderStats(stats, { format: opts.format }));
      if (opts.noStream || stop) break;
      await new Promise((r) => setTimeout(r, 5000));
      if (stop) break;
    }
  },
};

const logsCmd: CommandDef = {
  name: 'logs',
  summary: 'Fetch logs for pod with one or more containers',
  description: 'Displays logs for pod with one or more containers.',
  usage: '[options] POD',
  maxArgs: 1,
  flags: [
    { name: 'container', short: 'c', type: 'string', help: 'Filter logs by container name or id which belongs to pod' },
    { name: 'follow', short: 'f', type: 'bool', help: 'Follow log output.' },
    latestFlag,
    { name: 'names', short: 'n', type: 'bool', help: 'Output container names instead of container IDs in the log' },
    { name: 'since', type: 'string', help: 'Show logs since TIMESTAMP' },
    { name: 'tail', type: 'int', default: -1, help: 'Output the specified number of LINES at the end of the logs.' },
    { name: 'timestamps', short: 't', type: 'bool', help: 'Output the timestamps in the log' },
    { name: 'until', type: 'string', help: 'Show logs until TIMESTAMP' },
  ],
  async run(ctx: Ctx, args, opts) {
    const name = opts.latest ? (await targets(ctx, [], opts, 'logs'))[0] : args[0];
    if (!name) throw new UsageError('specify a pod name or ID to log');
    let ids = await pods(ctx).containerIds(name, { infra: false });
    if (opts.container) {
      const want = (await ctx.containers().inspect(opts.container) as any).Id;
      if (!ids.includes(want)) throw new PierError(`container ${opts.container} is not in pod ${name}`);
      ids = [want];
    }
    if (!ids.length) throw new PierError(`pod ${name} has no containers to log`);
    await ctx.containers().logs(ids, {
      follow: !!opts.follow, since: opts.since, until: opts.until, tail: opts.tail >= 0 ? opts.tail : undefined,
      timestamps: !!opts.timestamps, names: ids.length > 1 || !!opts.names,
    }, { stdout: (b) => writeStdout(b), stderr: (b) => writeStderr(b) });
  },
};

const cloneCmd: CommandDef = {
  name: 'clone',
  summary: 'Clone an existing pod',
  description: 'Create an exact copy of a pod and the containers within it',
  usage: '[options] POD NAME',
  minArgs: 1,
  maxArgs: 2,
  flags: [
    { name: 'destroy', type: 'bool', help: 'destroy the original pod' },
    { name: 'name', short: 'n', type: 'string', help: 'name the new pod' },
    { name: 'start', type: 'bool', help: 'start the new pod' },
  ],
  async run(ctx: Ctx, args, opts) {
    const id = await pods(ctx).clone(args[0], { name: args[1] ?? opts.name, start: !!opts.start, destroy: !!opts.destroy });
    ctx.out(id);
  },
};

export function podGroup(): CommandDef {
  return {
    name: 'pod',
    summary: 'Manage pods',
    description: 'Pods are a group of one or more containers sharing the same network, pid and ipc namespaces.',
    usage: '[command]',
    subcommands: [cloneCmd, createCmd, existsCmd, inspectCmd, killCmd, logsCmd, pauseCmd, pruneCmd, psCmd('ps', ['ls', 'list']), restartCmd, rmCmd, startCmd, statsCmd, stopCmd, topCmd, unpauseCmd],
  };
}
