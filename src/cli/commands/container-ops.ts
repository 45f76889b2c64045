// `pier top`, `pier stats`, `pier update` and `pier healthcheck run` (plus the hidden
// `healthcheck monitor` that runs periodic checks where systemd timers are not available).
import { CommandDef, FlagDef, Opts } from '../parser';
import { Ctx } from '../context';
import type { LocalContainerEngine } from '../../domain/local/containers';
import type { LocalContainerOps } from '../../domain/local/container-ops';
import type { ContainerStats } from '../../engine/stats';
import type { UpdateOptions } from '../../engine/update';
import { goJSON } from '../format/gojson';
import { goHumanSize, bytesSize } from '../format/units';
import { tabwriter } from '../format/tabwriter';
import { asStruct } from '../format/govalue';
import { parseBlkioWeight, parseRAM, splitCSV } from './container-flags';
import { dedupeDeviceValues, parseThrottleDevice, parseWeightDevice } from '../../engine/spec/resources';
import { NotFoundError, UsageError } from '../../util/errors';
import { writeStdout } from '../../util/stdio';
import { output } from '../format/lazy-output';

// Engine modules loaded only by the commands that need them (not at every start).
const topModule = () => require('../../engine/top') as typeof import('../../engine/top');
import { goDuration } from '../../util/go-duration';

/** The container operations of the context's (local) engine. */
export function containerOps(ctx: Ctx): LocalContainerOps {
  const { LocalContainerOps } = require('../../domain/local/container-ops') as typeof import('../../domain/local/container-ops');
  return new LocalContainerOps(ctx.containers() as unknown as LocalContainerEngine);
}

/** system df/prune, healthcheck run and update: the service's in remote mode, else the local operations. */
export function systemOps(ctx: Ctx): Pick<LocalContainerOps, 'df' | 'prune' | 'healthcheckRun' | 'update'> {
  const remote = (ctx.engines as { systemOps?: () => Pick<LocalContainerOps, 'df' | 'prune' | 'healthcheckRun' | 'update'> }).systemOps;
  return remote ? remote.call(ctx.engines) : containerOps(ctx);
}

/** What `stats` and `pod stats` need: the remote client's when connected, else the local operations. */
export interface StatsOps {
  statsTargets(names: string[], all: boolean): Promise<{ id: string; state: { status: string } }[]> | { id: string; state: { status: string } }[];
  stats(targets: { id: string }[], prev: Map<string, ContainerStats>): Promise<ContainerStats[]> | ContainerStats[];
  latest(): Promise<string>;
}

export function statsOps(ctx: Ctx): StatsOps {
  const remote = ctx.containers() as unknown as Partial<StatsOps> & { ids(o: { latest?: boolean }): Promise<string[]> };
  if (remote.statsTargets && remote.stats) {
    return {
      statsTargets: (n, a) => remote.statsTargets!(n, a), stats: (t, p) => remote.stats!(t, p),
      latest: async () => { const [id] = await remote.ids({ latest: true }); if (!id) throw new NotFoundError('no containers to act on: no such container'); return id; },
    };
  }
  const ops = containerOps(ctx);
  return { statsTargets: (n, a) => ops.statsTargets(n, a), stats: (t, p) => ops.stats(t as never, p), latest: async () => latestId(ops) };
}

const latestFlag: FlagDef = { name: 'latest', short: 'l', type: 'bool', help: 'Act on the latest container pier is aware of' };

function latestId(ops: LocalContainerOps): string {
  const list = ops.lifecycle.containers.list();
  if (!list.length) throw new NotFoundError('no containers to act on: no such container');
  return list.reduce((a, b) => (b.created > a.created ? b : a)).id;
}

// ---------------------------------------------------------------------------------------
// top

const topCmd: CommandDef = {
  name: 'top',
  summary: 'Display the running processes of a container',
  // A getter: the descriptors come from the engine module, loaded only when help is shown.
  get description() {
    return 'Display the running processes of a container.\n\n  The top command extends the ps(1) compatible AIX descriptors with container-specific ones as shown below.  In the presence of ps(1) specific flags (e.g, -eo), Pier will execute ps(1) inside the container.\n\n' +
      `  Format Descriptors:\n    ${topModule().listDescriptors().join(',')}`;
  },
  usage: '[options] CONTAINER [FORMAT-DESCRIPTORS|ARGS...]',
  example: 'pier top ctrID\npier top --latest\npier top ctrID pid seccomp args %C\npier top ctrID -eo user,pid,comm',
  interspersed: false,
  flags: [latestFlag, { name: 'list-descriptors', type: 'bool', help: '', hidden: true }],
  async run(ctx: Ctx, args, opts) {
    if (opts.listDescriptors) { ctx.out(topModule().listDescriptors().join('\n')); return; }
    if (!args.length && !opts.latest) throw new UsageError('you must provide the name or id of a running container');
    const remote = ctx.containers() as { top?: (n: string, d: string[]) => Promise<string[][]>; ids(o: { latest?: boolean }): Promise<string[]> };
    let rows: string[][];
    if (remote.top) {
      // Remote mode: the service runs it.
      const name = opts.latest ? (await remote.ids({ latest: true }))[0] : args[0].replace(/^\//, '');
      if (!name) throw new NotFoundError('no containers to act on: no such container');
      rows = await remote.top(name, opts.latest ? args : args.slice(1));
    } else {
      const ops = containerOps(ctx);
      const name = opts.latest ? latestId(ops) : args[0].replace(/^\//, '');
      rows = await ops.top(name, opts.latest ? args : args.slice(1));
    }
    writeStdout(tabwriter(rows) + '\n');
  },
};

// ---------------------------------------------------------------------------------------
// stats

const STATS_HEADERS: Record<string, string> = {
  ID: 'ID', UpTime: 'CPU TIME', CPUPerc: 'CPU %', AVGCPU: 'Avg CPU %', MemUsage: 'MEM USAGE / LIMIT',
  MemUsageBytes: 'MEM USAGE / LIMIT', MemPerc: 'MEM %', NetIO: 'NET IO', BlockIO: 'BLOCK IO', PIDS: 'PIDS',
};

const STATS_TABLE = 'table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDS}}\t{{.UpTime}}\t{{.AVGCPU}}';

function percent(f: number): string {
  return Number.isFinite(f) ? `${f.toFixed(2)}%` : '--';
}

/** A stats sample as podman's template sees it: the raw fields plus its display methods. */
export function statsRow(s: ContainerStats, noTrunc = false): Record<string, unknown> {
  return asStruct({
    ...s,
    ID: noTrunc ? s.ContainerID : s.ContainerID.slice(0, 12),
    CPUPerc: percent(s.CPU),
    AVGCPU: percent(s.AvgCPU),
    Up: goDuration(s.UpTime),
    UpTime: goDuration(s.UpTime),
    MemPerc: percent(s.MemPerc),
    NetIO: `${goHumanSize(s.NetInput)} / ${goHumanSize(s.NetOutput)}`,
    BlockIO: `${goHumanSize(s.BlockInput)} / ${goHumanSize(s.BlockOutput)}`,
    PIDS: String(s.PIDs),
    MemUsage: `${goHumanSize(s.MemUsage)} / ${goHumanSize(s.MemLimit)}`,
    MemUsageBytes: `${bytesSize(s.MemUsage)} / ${bytesSize(s.MemLimit)}`,
  }, '*containers.containerStats');
}

/** `stats --format json`: podman's lower-case summary objects. */
export function statsJSON(stats: ContainerStats[], noTrunc = false): string {
  const rows = stats.map((s) => {
    const r = statsRow(s, noTrunc) as Record<string, string>;
    return {
      id: r.ID, name: s.Name, cpu_time: r.Up, cpu_percent: r.CPUPerc, avg_cpu: r.AVGCPU, mem_usage: r.MemUsage,
      mem_percent: r.MemPerc, net_io: r.NetIO, block_io: r.BlockIO, pids: r.PIDS,
    };
  });
  return goJSON(rows, { indent: ' ', escapeHTML: true }) + '\n';
}

/** Renders one round of stats output. */
export function renderStats(stats: ContainerStats[], opts: { format?: string; noTrunc?: boolean }): string {
  if (output().isJSONFormat(opts.format)) return statsJSON(stats, opts.noTrunc);
  return output().formatList(stats.map((s) => statsRow(s, opts.noTrunc)), opts.format, STATS_TABLE, { headers: STATS_HEADERS, name: 'stats' });
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
  });
}

const statsCmd: CommandDef = {
  name: 'stats',
  summary: 'Display a live stream of container resource usage statistics',
  description: 'Display percentage of CPU, memory, network I/O, block I/O and PIDs for one or more containers.',
  usage: '[options] [CONTAINER...]',
  example: 'pier stats --all --no-stream\npier stats ctrID\npier stats --no-stream --format "table {{.ID}} {{.Name}} {{.MemUsage}}" ctrID',
  flags: [
    { name: 'all', short: 'a', type: 'bool', help: 'Show all containers. Only running containers are shown by default. The default is false' },
    { name: 'format', type: 'string', help: 'Pretty-print container statistics to JSON or using a Go template' },
    { name: 'interval', short: 'i', type: 'int', default: 5, help: 'Time in seconds between stats reports' },
    latestFlag,
    { name: 'no-reset', type: 'bool', help: 'Disable resetting the screen between intervals' },
    { name: 'no-stream', type: 'bool', help: 'Disable streaming stats and only pull the first result, default setting is false' },
    { name: 'no-trunc', type: 'bool', help: 'Do not truncate output' },
  ],
  async run(ctx: Ctx, args, opts) {
    if ([opts.all, opts.latest, args.length > 0].filter(Boolean).length > 1) throw new UsageError('--all, --latest and containers cannot be used together');
    if (opts.interval < 1) throw new UsageError('invalid interval, must be a positive number greater zero');
    const ops = statsOps(ctx);
    const names = opts.latest ? [await ops.latest()] : args.map((a) => a.replace(/^\//, ''));
    const targets = await ops.statsTargets(names, !!opts.all);
    for (const t of targets) {
      if (names.length && t.state.status !== 'running' && t.state.status !== 'paused') throw new UsageError('container state improper');
    }
    const abort = new AbortController();
    const onSig = () => abort.abort();
    process.once('SIGINT', onSig);
    process.once('SIGTERM', onSig);
    const prev = new Map<string, ContainerStats>();
    try {
      for (;;) {
        // Without names, each round looks at the containers running now.
        const current = names.length ? targets : await ops.statsTargets([], !!opts.all);
        const stats = (await ops.stats(current, prev)).filter((s) => names.length > 0 || s.SystemNano > 0);
        for (const s of stats) prev.set(s.ContainerID, s);
        // podman clears the screen before each round; only do that on a terminal.
        if (!opts.noReset && process.stdout.isTTY) writeStdout('\x1b[2J\x1b[1;1H');
        writeStdout(renderStats(stats, { format: opts.format, noTrunc: opts.noTrunc }));
        if (opts.noStream || abort.signal.aborted) break;
        await sleep(opts.interval * 1000, abort.signal);
        if (abort.signal.aborted) break;
      }
    } finally {
      process.off('SIGINT', onSig);
      process.off('SIGTERM', onSig);
    }
  },
};

// ---------------------------------------------------------------------------------------
// update

const SIZE_UNIT_HELP = 'where unit = b (bytes), k (kibibytes), m (mebibytes), or g (gibibytes)';

function ram(value: string, what: string): number {
  const n = parseRAM(value);
  if (n === undefined) throw new UsageError(`invalid value for ${what}: invalid size: '${value}'`);
  return n;
}

/** The update flags the user gave, parsed. */
export function parseUpdateOptions(opts: Opts): UpdateOptions {
  const changed: Set<string> = opts.changed ?? new Set();
  const has = (n: string) => changed.has(n);
  const u: UpdateOptions = {};
  const uint = (n: string, v: number) => {
    if (v < 0) throw new UsageError(`invalid argument "${v}" for "--${n}" flag: strconv.ParseUint: parsing "${v}": invalid syntax`);
    return v;
  };
  if (has('memory')) u.memory = ram(String(opts.memory), 'memory');
  if (has('memory-swap')) u.memorySwap = opts.memorySwap === '-1' ? -1 : ram(String(opts.memorySwap), 'memory');
  if (has('memory-reservation')) u.memoryReservation = ram(String(opts.memoryReservation), 'memory');
  if (has('memory-swappiness') && opts.memorySwappiness !== -1) u.memorySwappiness = opts.memorySwappiness;
  if (has('cpus')) {
    const v = String(opts.cpus);
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n)) throw new UsageError(`invalid argument "${v}" for "--cpus" flag: strconv.ParseFloat: parsing "${v}": invalid syntax`);
    if (n < 0) throw new UsageError('cpus cannot be negative');
    u.cpus = n;
  }
  if (has('cpu-period')) u.cpuPeriod = uint('cpu-period', opts.cpuPeriod);
  if (has('cpu-quota')) u.cpuQuota = opts.cpuQuota;
  if (has('cpu-rt-period')) u.cpuRtPeriod = uint('cpu-rt-period', opts.cpuRtPeriod);
  if (has('cpu-rt-runtime')) u.cpuRtRuntime = opts.cpuRtRuntime;
  if (has('cpu-shares')) u.cpuShares = uint('cpu-shares', opts.cpuShares);
  if (has('cpuset-cpus')) u.cpusetCpus = String(opts.cpusetCpus);
  if (has('cpuset-mems')) u.cpusetMems = String(opts.cpusetMems);
  if (has('pids-limit')) u.pidsLimit = opts.pidsLimit;
  // The same values and errors as run/create.
  if (has('blkio-weight')) u.blkioWeight = parseBlkioWeight(String(opts.blkioWeight));
  if (has('blkio-weight-device')) u.blkioWeightDevice = dedupeDeviceValues(splitCSV(opts.blkioWeightDevice).map(parseWeightDevice));
  if (has('device-read-bps')) u.deviceReadBps = dedupeDeviceValues(splitCSV(opts.deviceReadBps).map((v) => parseThrottleDevice(v, 'bps')));
  if (has('device-write-bps')) u.deviceWriteBps = dedupeDeviceValues(splitCSV(opts.deviceWriteBps).map((v) => parseThrottleDevice(v, 'bps')));
  if (has('device-read-iops')) u.deviceReadIops = dedupeDeviceValues(splitCSV(opts.deviceReadIops).map((v) => parseThrottleDevice(v, 'iops')));
  if (has('device-write-iops')) u.deviceWriteIops = dedupeDeviceValues(splitCSV(opts.deviceWriteIops).map((v) => parseThrottleDevice(v, 'iops')));
  if (u.memorySwap !== undefined && u.memorySwap > 0 && u.memory !== undefined && u.memorySwap < u.memory) {
    throw new UsageError('minimum memoryswap limit should be larger than memory limit, see usage');
  }
  return u;
}

const updateCmd: CommandDef = {
  name: 'update',
  summary: 'update an existing container',
  description: 'Updates the cgroup configuration of a given container',
  usage: '[options] CONTAINER',
  example: 'pier update --cpus=5 foobar_container',
  minArgs: 1,
  maxArgs: 1,
  flags: [
    { name: 'blkio-weight', type: 'string', help: 'Block IO weight (relative weight) accepts a weight value between 10 and 1000.' },
    { name: 'blkio-weight-device', type: 'stringArray', valueName: 'DEVICE_NAME:WEIGHT', help: 'Block IO weight (relative device weight, format: DEVICE_NAME:WEIGHT)' },
    { name: 'cpu-period', type: 'int', valueName: 'uint', help: 'Limit the CPU CFS (Completely Fair Scheduler) period' },
    { name: 'cpu-quota', type: 'int', help: 'Limit the CPU CFS (Completely Fair Scheduler) quota' },
    { name: 'cpu-rt-period', type: 'int', valueName: 'uint', help: 'Limit the CPU real-time period in microseconds' },
    { name: 'cpu-rt-runtime', type: 'int', help: 'Limit the CPU real-time runtime in microseconds' },
    { name: 'cpu-shares', short: 'c', type: 'int', valueName: 'uint', help: 'CPU shares (relative weight)' },
    { name: 'cpus', type: 'string', valueName: 'float', help: 'Number of CPUs. The default is 0.000 which means no limit' },
    { name: 'cpuset-cpus', type: 'string', help: 'CPUs in which to allow execution (0-3, 0,1)' },
    { name: 'cpuset-mems', type: 'string', help: 'Memory nodes (MEMs) in which to allow execution (0-3, 0,1). Only effective on NUMA systems.' },
    { name: 'device-read-bps', type: 'stringArray', valueName: 'strings', help: 'Limit read rate (bytes per second) from a device (e.g. --device-read-bps=/dev/sda:1mb)' },
    { name: 'device-read-iops', type: 'stringArray', valueName: 'strings', help: 'Limit read rate (IO per second) from a device (e.g. --device-read-iops=/dev/sda:1000)' },
    { name: 'device-write-bps', type: 'stringArray', valueName: 'strings', help: 'Limit write rate (bytes per second) to a device (e.g. --device-write-bps=/dev/sda:1mb)' },
    { name: 'device-write-iops', type: 'stringArray', valueName: 'strings', help: 'Limit write rate (IO per second) to a device (e.g. --device-write-iops=/dev/sda:1000)' },
    { name: 'memory', short: 'm', type: 'string', valueName: '<number>[<unit>]', help: `Memory limit (format: <number>[<unit>], ${SIZE_UNIT_HELP})` },
    { name: 'memory-reservation', type: 'string', valueName: '<number>[<unit>]', help: `Memory soft limit (format: <number>[<unit>], ${SIZE_UNIT_HELP})` },
    { name: 'memory-swap', type: 'string', help: "Swap limit equal to memory plus swap: '-1' to enable unlimited swap" },
    { name: 'memory-swappiness', type: 'int', default: -1, help: 'Tune container memory swappiness (0 to 100, or -1 for system default)' },
    { name: 'pids-limit', type: 'int', help: 'Tune container pids limit (set -1 for unlimited)' },
  ],
  async run(ctx: Ctx, args, opts) {
    const upd = parseUpdateOptions(opts);
    const id = await systemOps(ctx).update(args[0].replace(/^\//, ''), upd);
    ctx.out(id);
  },
};

// ---------------------------------------------------------------------------------------
// healthcheck

const healthcheckRunCmd: CommandDef = {
  name: 'run',
  summary: 'run the health check of a container',
  description: 'run the health check of a container',
  usage: '[options] CONTAINER',
  example: 'pier healthcheck run mywebapp',
  minArgs: 1,
  maxArgs: 1,
  async run(ctx: Ctx, args) {
    const r = await systemOps(ctx).healthcheckRun(args[0].replace(/^\//, ''));
    if (r.result !== 'healthy') {
      ctx.out(r.result);
      return 1;
    }
  },
};

const healthcheckMonitorCmd: CommandDef = {
  name: 'monitor',
  summary: 'run the health checks of a container periodically while it runs',
  usage: 'CONTAINER',
  hidden: true,
  minArgs: 1,
  maxArgs: 1,
  async run(ctx: Ctx, args) {
    const abort = new AbortController();
    process.once('SIGTERM', () => abort.abort());
    process.once('SIGINT', () => abort.abort());
    await containerOps(ctx).healthMonitor(args[0], abort.signal);
  },
};

/** The top-level commands: top, stats, update, healthcheck (run; hidden monitor). */
export function containerOpsCommands(): CommandDef[] {
  return [
    topCmd,
    statsCmd,
    updateCmd,
    {
      name: 'healthcheck',
      summary: 'Manage health checks on containers',
      description: 'Run health checks on containers',
      subcommands: [healthcheckRunCmd, healthcheckMonitorCmd],
    },
  ];
}

/** The same commands for the `pier container` group (top, stats, update). */
export function containerGroupOpsCommands(): CommandDef[] {
  return [topCmd, statsCmd, updateCmd];
}
