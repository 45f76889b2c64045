// `pier pod ...`: create, start, stop, restart, kill, pause, unpause, rm, ps/ls, inspect, top,
// stats, logs, exists, prune, clone. They call the PodEngine and print what podman 4.3 prints.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CommandDef, OLD_FLAG_NAMES } from '../parser';
import { Ctx } from '../context';
import type { PodEngine, PodSummary, PodCreateOptions, PodResources } from '../../domain/pods';
import { NotFoundError, PierError, UsageError, errorMessage, readFileErrorText } from '../../util/errors';
import { formatList, formatInspect, isJSONFormat } from '../format/output';
import { goJSON } from '../format/gojson';
import { asStruct, asStructSlices } from '../format/govalue';
import { humanDuration } from '../format/units';
import { tabwriter } from '../format/tabwriter';
import { writeStdout, writeStderr } from '../../util/stdio';
import { parseSignal } from '../../util/signals';
import { goMap } from '../../util/gomap';
import { commandLine } from '../../util/argv';

const latestFlag = { name: 'latest', short: 'l', type: 'bool' as const, help: 'Act on the latest pod pier is aware of' };
const allFlag = (what: string) => ({ name: 'all', short: 'a', type: 'bool' as const, help: `${what} all pods` });

function pods(ctx: Ctx): PodEngine {
  return ctx.pods();
}

/** The pods a command acts on: its arguments, --all or --latest (exclusive, as podman checks). */
/** --pod-id-file values: the first line of each file (podman's ReadPodIDFiles). */
function readPodIdFiles(files: string[] | undefined): string[] {
  return (files ?? []).map((f) => {
    try {
      return fs.readFileSync(f, 'utf8').split('\n')[0];
    } catch (e) {
      throw new PierError(`reading pod ID file: ${readFileErrorText(e, f)}`);
    }
  });
}

const podIdFileFlag = (help: string) => ({ name: 'pod-id-file', type: 'stringArray' as const, help });

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

/** The flags `pod create` shares with `run`/`create` (podman's infra-container flags), as they read there. */
const SHARED_CREATE_FLAGS = [
  'add-host', 'blkio-weight', 'blkio-weight-device', 'cgroup-parent', 'cpu-shares', 'cpus', 'cpuset-cpus', 'cpuset-mems',
  'device', 'device-read-bps', 'device-write-bps', 'dns', 'dns-option', 'dns-search', 'gidmap', 'help', 'hostname', 'ip',
  'ip6', 'label', 'label-file', 'mac-address', 'memory', 'memory-swap', 'network', 'network-alias', 'no-hosts', 'pid',
  'publish', 'security-opt', 'shm-size', 'subgidname', 'subuidname', 'sysctl', 'uidmap', 'userns', 'uts', 'volume',
  'volumes-from',
];

function podCreateFlags(): CommandDef['flags'] {
  const { createFlags } = require('./container-flags') as typeof import('./container-flags');
  const shared = createFlags('create').filter((f) => SHARED_CREATE_FLAGS.includes(f.name));
  return [
    ...shared,
    { name: 'exit-policy', type: 'string', default: 'continue', help: 'Behaviour when the last container exits' },
    { name: 'infra', type: 'bool', default: true, help: 'Create an infra container associated with the pod to share namespaces with' },
    { name: 'infra-command', type: 'string', help: 'Overwrite the default ENTRYPOINT of the image' },
    { name: 'infra-conmon-pidfile', type: 'string', help: 'Path to the file that will receive the PID of conmon' },
    { name: 'infra-image', type: 'string', help: 'Image to use to override builtin infra container' },
    { name: 'infra-name', type: 'string', help: 'Assign a name to the container' },
    { name: 'name', short: 'n', type: 'string', help: 'Assign a name to the pod' },
    { name: 'pod-id-file', type: 'string', help: 'Write the pod ID to the file' },
    { name: 'replace', type: 'bool', help: 'If a pod with the same name exists, replace it' },
    { name: 'share', type: 'string', default: 'ipc,net,uts', help: 'A comma delimited list of kernel namespaces the pod will share' },
    { name: 'share-parent', type: 'bool', default: true, help: "Set the pod's cgroup as the cgroup parent for all containers joining the pod" },
  ];
}

/** docker's ParseUintList (`0-2,4`), podman's check of --cpuset-cpus. */
function parseUintList(v: string): number[] {
  const out = new Set<number>();
  if (v === '') return [];
  const bad = () => new UsageError(`could not parse list: invalid format: ${v}`);
  const int = (x: string) => { if (!/^[+-]?\d+$/.test(x)) throw bad(); return Number(x); };
  for (const r of v.split(',')) {
    if (!r.includes('-')) { out.add(int(r)); continue; }
    const i = r.indexOf('-');
    const lo = int(r.slice(0, i));
    const hi = int(r.slice(i + 1));
    if (hi < lo) throw bad();
    for (let n = lo; n <= hi; n++) out.add(n);
  }
  return [...out].sort((x, y) => x - y);
}

/**
 * podman 4.3's pod create rewrites --cpuset-cpus against --cpus (else the host's CPU count):
 * from the first CPU above that number on, the set is the CPUs before it, or `0-N` when there
 * are none.
 */
export function podCpusetCpus(cpusetCpus: string, cpus: number | undefined, numCPU = os.availableParallelism?.() ?? os.cpus().length): string {
  const cores = parseUintList(cpusetCpus);
  const max = Math.trunc(cpus ? cpus : numCPU);
  let copy = '';
  let result = cpusetCpus;
  cores.forEach((core, i) => {
    if (core > max) {
      if (copy === '') copy = `0-${max}`;
      result = copy;
    } else if (i !== 0) copy += `,${core}`;
    else copy = String(core);
  });
  return result;
}

let podCreateFlagList: CommandDef['flags'] | undefined;

const createCmd: CommandDef = {
  name: 'create',
  flagAliases: OLD_FLAG_NAMES,
  summary: 'Create a new empty pod',
  description: 'After creating the pod, the pod ID is printed to stdout.\n\n  You can then start it at any time with the  pier pod start <pod_id> command. The pod will be created with the initial state \'created\'.',
  usage: '[options] [NAME]',
  example: 'pier pod create\npier pod create --label foo=bar mypod\npier pod create --publish 8443:443',
  maxArgs: 1,
  get flags() { return (podCreateFlagList ??= podCreateFlags()); },
  async run(ctx: Ctx, args, opts) {
    try {
      return await podCreate(ctx, args, opts);
    } catch (e) {
      const { FlagValueError } = require('./container-flags') as typeof import('./container-flags');
      if (!(e instanceof FlagValueError)) throw e;
      writeStderr(`Error: ${e.message}\nSee 'pier pod create --help'\n`);
      return e.exitCode;
    }
  },
};

async function podCreate(ctx: Ctx, args: string[], opts: any): Promise<number | void> {
  const o = podCreateOptions(args, opts);
  const id = await pods(ctx).create(o);
  if (opts.podIdFile) fs.writeFileSync(opts.podIdFile, id);
  ctx.out(id);
}

/** pod create's (and pod clone's) flags as PodCreateOptions, checked as podman checks them. */
function podCreateOptions(args: string[], opts: any): PodCreateOptions {
  const { parseCreateOptions, parseRAM, splitCSV, FlagValueError, validateUserns } = require('./container-flags') as typeof import('./container-flags');
  const changed: Set<string> = opts.changed ?? new Set();
  if (args.length && opts.name) throw new UsageError('cannot specify --name and NAME at the same time');
  const labels: Record<string, string> = {};
  for (const f of splitCSV(opts.labelFile)) {
    for (const l of fs.readFileSync(f, 'utf8').split('\n').map((x: string) => x.trim()).filter((x: string) => x && !x.startsWith('#'))) Object.assign(labels, keyValues([l]));
  }
  Object.assign(labels, keyValues(opts.label ?? []));
  // --cpus is a float flag: its syntax is checked whatever else is given.
  let cpus: number | undefined;
  if (changed.has('cpus')) {
    const v = String(opts.cpus);
    if (v.trim() === '' || !/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(v.trim())) {
      throw new FlagValueError(`invalid argument "${v}" for "--cpus" flag: strconv.ParseFloat: parsing "${v}": invalid syntax`);
    }
    cpus = Number(v);
  }
  // podman: a pod sharing no namespace gets no infra container unless --infra was given; a
  // leading `+` adds to the default set (ipc, net, uts).
  const shareText = String(opts.share);
  const infra = changed.has('infra') ? opts.infra !== false : !(shareText === 'none' || shareText === '');
  if (!infra) {
    if (changed.has('no-hosts')) throw new UsageError('cannot specify --no-hosts without an infra container');
    for (const [flag, name] of [['ip', 'ip'], ['ip6', 'ip6'], ['mac-address', 'mac'], ['network-alias', 'network-alias']]) {
      if (changed.has(flag)) throw new UsageError(`cannot set --${name} without infra container: invalid argument`);
    }
    if (changed.has('share') && shareText !== 'none' && shareText !== '') throw new UsageError(`cannot set share(${shareText}) namespaces without an infra container`);
    if (opts.publish?.length) throw new UsageError('you must have an infra container to publish port bindings to the host');
  }
  const share = infra ? [...(shareText.startsWith('+') ? ['ipc', 'net', 'uts'] : []), ...shareText.replace(/^\+/, '').split(',').map((s) => s.trim()).filter(Boolean)] : [];
  const o: PodCreateOptions = {
    name: args[0] ?? opts.name, hostname: changed.has('hostname') && opts.hostname !== '' ? opts.hostname : undefined, labels, share: [...new Set(share)],
    infra, infraImage: infra ? opts.infraImage : undefined, infraName: infra ? opts.infraName : undefined,
    infraCommand: infra && opts.infraCommand ? (opts.infraCommand.trim().startsWith('[') ? JSON.parse(opts.infraCommand) : opts.infraCommand.split(' ')) : undefined,
    exitPolicy: opts.exitPolicy, replace: !!opts.replace, createCommand: commandLine(),
  };
  // The network options (kept for the engine's NoInfra checks) and, with an infra container, its
  // options, parsed and checked as run's; --memory, --memory-swap and --cpus as podman's pod
  // create takes them (the kernel judges the values). Without an infra container podman looks
  // at none of the others.
  const NETWORK_FLAGS = ['add-host', 'dns', 'dns-option', 'dns-search', 'network', 'network-alias', 'publish', 'ip', 'ip6', 'mac-address', 'no-hosts'];
  // Pods take no ID mappings of their own in pier yet (only --userns=keep-id and nomap, rootless).
  // Without an infra container podman reads none of the user namespace options (any value passes).
  if (infra) for (const n of ['gidmap', 'subgidname', 'subuidname', 'uidmap']) if (changed.has(n)) throw new UsageError(`the --${n} option is not supported by pier`);
  if (infra && changed.has('userns')) {
    validateUserns(String(opts.userns));
    // The rootless modes go to the infra container, whose namespace the members join.
    const rootlessMode = String(opts.userns).startsWith('keep-id') || opts.userns === 'nomap';
    if (opts.userns !== '' && opts.userns !== 'host' && !rootlessMode) throw new UsageError(`the --userns=${opts.userns} option is not supported by pier`);
  }
  const own = ['memory', 'memory-swap', 'cpus', 'label', 'label-file', 'hostname', 'help'];
  const INFRA_FLAGS = SHARED_CREATE_FLAGS.filter((n) => !own.includes(n));
  const c = parseCreateOptions('create', ['infra'], {
    ...opts, changed: new Set([...changed].filter((n) => (infra ? INFRA_FLAGS.includes(n) : NETWORK_FLAGS.includes(n)))),
  }).create;
  Object.assign(o, {
    publish: c.publish, networks: c.networks, networkAliases: c.networkAliases, addHost: c.addHost, dns: c.dns,
    dnsSearch: c.dnsSearch, dnsOption: c.dnsOption, ip: c.ip, ip6: c.ip6, macAddress: c.macAddress,
  });
  if (infra) {
    Object.assign(o, {
      volumes: c.volumes, volumesFrom: c.volumesFrom, devices: c.devices, securityOpt: c.securityOpt, sysctl: c.sysctl,
      shmSize: c.shmSize, noHosts: c.noHosts || undefined, pid: c.pid, uts: c.uts, userns: c.userns === 'host' ? undefined : c.userns, cgroupParent: c.cgroupParent,
      shareParent: opts.shareParent !== false,
      infraConmonPidFile: opts.infraConmonPidfile ? path.resolve(String(opts.infraConmonPidfile)) : undefined,
    });
    const r: PodResources = {};
    const ram = (v: string): number => {
      const n = parseRAM(v);
      if (n === undefined) throw new UsageError(`invalid value for memory: invalid size: '${v}'`);
      return n;
    };
    if (changed.has('memory') && opts.memory !== '') r.memory = ram(String(opts.memory));
    if (changed.has('memory-swap') && opts.memorySwap !== '') r.memorySwap = opts.memorySwap === '-1' ? -1 : ram(String(opts.memorySwap));
    if (cpus !== undefined && cpus > 0) r.cpus = cpus;
    if (c.cpuShares) r.cpuShares = c.cpuShares;
    if (c.cpusetCpus) r.cpusetCpus = podCpusetCpus(c.cpusetCpus, cpus);
    if (c.cpusetMems) r.cpusetMems = c.cpusetMems;
    if (c.blkioWeight !== undefined) r.blkioWeight = c.blkioWeight;
    if (c.blkioWeightDevice) r.blkioWeightDevice = c.blkioWeightDevice;
    if (c.deviceReadBps) r.deviceReadBps = c.deviceReadBps;
    if (c.deviceWriteBps) r.deviceWriteBps = c.deviceWriteBps;
    if (Object.keys(r).length) o.resources = r;
    if (share.includes('cgroup') && o.shareParent) {
      throw new UsageError("cannot define the pod as the cgroup parent at the same time as joining the infra container's cgroupNS: invalid argument");
    }
  }
  return o;
}

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
      if (opts.podIdFile?.length) {
        if (opts.all || opts.latest) throw new UsageError('--all, --latest, and --pod-id-file cannot be used together');
        args = [...args, ...readPodIdFiles(opts.podIdFile)];
      }
      const names = await targets(ctx, args, opts, verb);
      return perPod(ctx, names, async (n) => {
        await fn(pods(ctx), n, opts);
        return (await pods(ctx).inspect(n).catch(() => ({ Id: n }))).Id as string;
      });
    },
  };
}

const startCmd = lifecycleCmd('start', 'Start one or more pods', 'start', (e, n) => e.start(n), [podIdFileFlag('Read the pod ID from the file')]);
const stopCmd = lifecycleCmd('stop', 'Stop one or more pods', 'stop', (e, n, o) => e.stop(n, { timeout: o.changed?.has('time') ? o.time : undefined, ignore: o.ignore }), [
  { name: 'ignore', short: 'i', type: 'bool', help: 'Ignore errors when a specified pod is missing' },
  // podman 4.3.1's help text for it (a slip: stop reads the file).
  podIdFileFlag('Write the pod ID to the file'),
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
    podIdFileFlag('Read the pod ID from the file'),
    { name: 'time', short: 't', type: 'int', default: 10, help: 'Seconds to wait for pod stop before killing the container' },
  ],
  async run(ctx: Ctx, args, opts) {
    if (opts.changed?.has('time') && !opts.force) throw new UsageError('--force option must be specified to use the --time option');
    const fromFiles = readPodIdFiles(opts.podIdFile);
    let names: string[] = fromFiles.length && !args.length && !opts.all && !opts.latest ? fromFiles : await targets(ctx, [...args, ...fromFiles], opts, 'remove');
    if (!opts.all && !opts.latest) {
      // podman looks every pod up before removing any: a missing one (the first is named) is exit
      // 1 and none is removed; with --force that is exit 0, silently, still removing none;
      // --ignore removes the others.
      const missing: string[] = [];
      for (const n of names) if (!(await pods(ctx).exists(n))) missing.push(n);
      if (missing.length && !opts.ignore) {
        if (opts.force) return 0;
        throw new PierError(`no pod with name or ID ${missing[0]} found: no such pod`, 1);
      }
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
  ContainerIds: 'IDS', ContainerStatuses: 'STATUS', Networks: 'NETWORKS', Cgroup: 'CGROUP', Namespace: 'NAMESPACES',
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
      if (opts.ns) cols += '\t{{.Cgroup}}\t{{.Namespace}}';
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

/**
 * `pod inspect --format`: podman's InspectPodData with its Go field names (the JSON has
 * podman's tags, cpu_period... and leaves out empty fields) and zero values for what is left out.
 */
function podTemplateView(d: Record<string, any>): Record<string, unknown> {
  const ic = d.InfraConfig;
  return asStruct({
    ID: d.Id, Name: d.Name, Namespace: d.Namespace ?? '', Created: d.Created, CreateCommand: d.CreateCommand ?? [],
    ExitPolicy: d.ExitPolicy ?? '', State: d.State, Hostname: d.Hostname ?? '', Labels: d.Labels ?? {},
    CreateCgroup: !!d.CreateCgroup, CgroupParent: d.CgroupParent ?? '', CgroupPath: d.CgroupPath ?? '', CreateInfra: !!d.CreateInfra,
    InfraContainerID: d.InfraContainerID ?? '',
    InfraConfig: ic ? asStruct({
      PortBindings: asStructSlices(ic.PortBindings, 'define.InspectHostPort'), HostNetwork: ic.HostNetwork, StaticIP: ic.StaticIP, StaticMAC: ic.StaticMAC,
      NoManageResolvConf: ic.NoManageResolvConf, DNSServer: ic.DNSServer ?? [], DNSSearch: ic.DNSSearch ?? [], DNSOption: ic.DNSOption ?? [],
      NoManageHosts: ic.NoManageHosts, HostAdd: ic.HostAdd ?? [], Networks: ic.Networks ?? [], NetworkOptions: ic.NetworkOptions ?? {},
      CPUPeriod: ic.cpu_period ?? 0, CPUQuota: ic.cpu_quota ?? 0, CPUSetCPUs: ic.cpuset_cpus ?? '',
      PidNS: ic.pid_ns ?? '', UserNS: ic.userns ?? '', UtsNS: ic.uts_ns ?? '',
    }, '*define.InspectPodInfraConfig') : null,
    SharedNamespaces: d.SharedNamespaces ?? [], NumContainers: d.NumContainers ?? 0, Containers: d.Containers ?? [],
    CPUPeriod: d.cpu_period ?? 0, CPUQuota: d.cpu_quota ?? 0, CPUShares: d.cpu_shares ?? 0, CPUSetCPUs: d.cpuset_cpus ?? '',
    CPUSetMems: d.cpuset_mems ?? '', Mounts: d.mounts ?? [], Devices: d.devices ?? [], BlkioDeviceReadBps: d.device_read_bps ?? [],
    BlkioDeviceWriteBps: d.device_write_bps ?? [], VolumesFrom: d.volumes_from ?? [], SecurityOpts: d.security_opt ?? [],
    MemoryLimit: d.memory_limit ?? 0, MemorySwap: d.memory_swap ?? 0, BlkioWeight: d.blkio_weight ?? 0,
    BlkioWeightDevice: d.blkio_weight_device ?? [],
  }, 'define.InspectPodData');
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
      ctx.out(formatInspect(found.map(podTemplateView), format));
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
    { name: 'color', type: 'bool', help: 'Output the containers within a pod with different colors in the log' },
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
    // podman 4.3's order: every container of the pod, infra included, by ID (its store's key
    // order); --color's colors go by that index. One container's lines carry no prefix.
    let ids = (await pods(ctx).containerIds(name)).sort();
    if (opts.container) {
      const want = (await ctx.containers().inspect(opts.container) as any).Id;
      if (!ids.includes(want)) throw new PierError(`container ${opts.container} is not in pod ${name}`);
      ids = [want];
    }
    if (!ids.length) return;
    await ctx.containers().logs(ids, {
      follow: !!opts.follow, since: opts.since, until: opts.until, tail: opts.tail >= 0 ? opts.tail : undefined,
      timestamps: !!opts.timestamps, names: !!opts.names, color: !!opts.color,
    }, { stdout: (b) => writeStdout(b), stderr: (b) => writeStderr(b) });
  },
};

/** pod clone's flags: pod create's for the infra container and the pod's resources (podman 4.3's list), and its own. */
const CLONE_FLAGS = [
  'blkio-weight', 'blkio-weight-device', 'cgroup-parent', 'cpu-shares', 'cpus', 'cpuset-cpus', 'cpuset-mems', 'device',
  'device-read-bps', 'device-write-bps', 'gidmap', 'help', 'hostname', 'infra-command', 'infra-conmon-pidfile', 'infra-name',
  'label', 'label-file', 'memory', 'memory-swap', 'pid', 'security-opt', 'shm-size', 'subgidname', 'subuidname', 'sysctl',
  'uidmap', 'userns', 'uts', 'volume', 'volumes-from',
];
/** Which PodCreateOptions each of them sets (the resource flags: `resources`). */
const CLONE_KEYS: Record<string, keyof PodCreateOptions> = {
  'cgroup-parent': 'cgroupParent', device: 'devices', hostname: 'hostname', 'infra-command': 'infraCommand',
  'infra-conmon-pidfile': 'infraConmonPidFile', 'infra-name': 'infraName', label: 'labels', 'label-file': 'labels', pid: 'pid',
  'security-opt': 'securityOpt', 'shm-size': 'shmSize', sysctl: 'sysctl', userns: 'userns', uts: 'uts', volume: 'volumes',
  'volumes-from': 'volumesFrom',
};

let cloneFlagList: CommandDef['flags'] | undefined;

const cloneCmd: CommandDef = {
  name: 'clone',
  flagAliases: OLD_FLAG_NAMES,
  summary: 'Clone an existing pod',
  description: 'Create an exact copy of a pod and the containers within it',
  usage: '[options] POD NAME',
  example: 'pier pod clone pod_name new_name',
  minArgs: 1,
  maxArgs: 2,
  get flags() {
    const own: NonNullable<CommandDef['flags']> = [
      { name: 'destroy', type: 'bool', help: 'destroy the original pod' },
      { name: 'name', short: 'n', type: 'string', help: 'name the new pod' },
      { name: 'start', type: 'bool', help: 'start the new pod' },
    ];
    return (cloneFlagList ??= [...(podCreateFlags() ?? []).filter((f) => CLONE_FLAGS.includes(f.name)), ...own].sort((a, b) => (a.name < b.name ? -1 : 1)));
  },
  async run(ctx: Ctx, args, opts) {
    // The flags given change the copy (the others keep the original's settings).
    const changed: Set<string> = opts.changed ?? new Set();
    const given = podCreateOptions([], { ...opts, name: undefined, share: 'ipc,net,uts', changed: new Set([...changed].filter((n) => CLONE_FLAGS.includes(n))) });
    const changes: Partial<PodCreateOptions> = {};
    for (const flag of changed) {
      const key = CLONE_KEYS[flag];
      if (key) (changes as Record<string, unknown>)[key] = given[key];
    }
    if (given.resources) changes.resources = given.resources;
    const id = await pods(ctx).clone(args[0], { name: args[1] ?? opts.name, start: !!opts.start, destroy: !!opts.destroy, changes });
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
