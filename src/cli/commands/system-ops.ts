// `pier system df|prune|reset`: disk usage, removing unused data, and removing everything.
import { CommandDef } from '../parser';
import { Ctx } from '../context';
import type { SystemDfReport, PruneReport } from '../../domain/local/container-ops';
import { containerOps, systemOps } from './container-ops';
import { formatList, isJSONFormat } from '../format/output';
import { goJSON } from '../format/gojson';
import { goHumanSize, humanDuration } from '../format/units';
import { tabwriteText } from '../format/tabwriter';
import { asStruct } from '../format/govalue';
import { PierError, UsageError } from '../../util/errors';
import { writeStdout, writeStderr } from '../../util/stdio';

/** Reads one line from stdin (null at EOF). */
function readLine(): Promise<string | null> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const stdin = process.stdin;
    const done = (v: string | null) => {
      stdin.off('data', onData); stdin.off('end', onEnd); stdin.off('error', onError); stdin.pause();
      resolve(v);
    };
    const onData = (c: Buffer) => {
      buf += c.toString('utf8');
      const nl = buf.indexOf('\n');
      if (nl >= 0) done(buf.slice(0, nl + 1));
    };
    const onEnd = () => done(buf === '' ? null : buf);
    const onError = (e: Error) => { stdin.off('data', onData); stdin.off('end', onEnd); reject(e); };
    stdin.on('data', onData); stdin.on('end', onEnd); stdin.on('error', onError);
    stdin.resume();
  });
}

/** Prints the prompt and answers whether the user said yes (EOF is an error, as in podman). */
async function confirm(prompt: string): Promise<boolean> {
  writeStdout(prompt);
  const answer = await readLine();
  if (answer === null) throw new PierError('EOF');
  return answer.trim().toLowerCase().startsWith('y');
}

// ---------------------------------------------------------------------------------------
// df

/** One row of the `system df` summary (podman's dfSummary and its methods). */
export interface DfSummary {
  Type: string;
  Total: number;
  Active: number;
  RawSize: number;
  RawReclaimable: number;
}

/** The summary rows podman derives from a disk-usage report. */
export function dfSummaries(r: SystemDfReport): DfSummary[] {
  const seen = new Set<string>();
  let active = 0;
  let used = 0;
  for (const i of r.Images) {
    if (seen.has(i.ImageID)) continue;
    seen.add(i.ImageID);
    if (i.Containers > 0) { active++; used += i.UniqueSize; }
  }
  let conActive = 0;
  let conSize = 0;
  let conReclaim = 0;
  for (const c of r.Containers) {
    if (c.Status === 'running') conActive++; else conReclaim += c.RWSize;
    conSize += c.RWSize;
  }
  let volActive = 0;
  let volSize = 0;
  let volReclaim = 0;
  for (const v of r.Volumes) { volActive += v.Links; volSize += v.Size; volReclaim += v.ReclaimableSize; }
  return [
    { Type: 'Images', Total: r.Images.length, Active: active, RawSize: r.ImagesSize, RawReclaimable: r.ImagesSize - used },
    { Type: 'Containers', Total: r.Containers.length, Active: conActive, RawSize: conSize, RawReclaimable: conReclaim },
    { Type: 'Local Volumes', Total: r.Volumes.length, Active: volActive, RawSize: volSize, RawReclaimable: volReclaim },
  ];
}

function reclaimable(d: DfSummary): string {
  const pct = d.RawSize > 0 ? Math.round((d.RawReclaimable / d.RawSize) * 100) : 0;
  return `${goHumanSize(d.RawReclaimable)} (${pct}%)`;
}

/** `system df` (summary) output for a format (default table, json, or a template). */
export function renderDf(r: SystemDfReport, format?: string): string {
  const rows = dfSummaries(r);
  if (format !== undefined && isJSONFormat(format)) {
    return goJSON(rows.map((d) => ({ ...d, TotalCount: d.Total, Size: goHumanSize(d.RawSize), Reclaimable: reclaimable(d) })), { indent: '    ', escapeHTML: true }) + '\n';
  }
  const items = rows.map((d) => asStruct({ ...d, Size: goHumanSize(d.RawSize), Reclaimable: reclaimable(d) }, '*system.dfSummary'));
  return formatList(items, format, 'table {{.Type}}\t{{.Total}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}', { name: 'df', headers: { Size: 'SIZE', Reclaimable: 'RECLAIMABLE' } });
}

/** `system df -v`: images, containers and volumes in detail, one tabwriter for all. */
export function renderDfVerbose(r: SystemDfReport, now = Date.now()): string {
  const lines: string[] = ['Images space usage:', ''];
  lines.push(['REPOSITORY', 'TAG', 'IMAGE ID', 'CREATED', 'SIZE', 'SHARED SIZE', 'UNIQUE SIZE', 'CONTAINERS'].join('\t'));
  for (const i of r.Images) {
    lines.push([i.Repository, i.Tag, i.ImageID.slice(0, 12), humanDuration(now - i.Created), goHumanSize(i.Size), goHumanSize(i.SharedSize), goHumanSize(i.UniqueSize), String(i.Containers)].join('\t'));
  }
  lines.push('', 'Containers space usage:', '');
  lines.push(['CONTAINER ID', 'IMAGE', 'COMMAND', 'LOCAL VOLUMES', 'SIZE', 'CREATED', 'STATUS', 'NAMES'].join('\t'));
  for (const c of r.Containers) {
    lines.push([c.ContainerID.slice(0, 12), c.Image.length >= 12 ? c.Image.slice(0, 12) : '', c.Command.join(' '), String(c.LocalVolumes), goHumanSize(c.RWSize), humanDuration(now - c.Created), c.Status, c.Names].join('\t'));
  }
  lines.push('', 'Local Volumes space usage:', '');
  lines.push(['VOLUME NAME', 'LINKS', 'SIZE'].join('\t'));
  for (const v of r.Volumes) lines.push([v.VolumeName, String(v.Links), goHumanSize(v.Size)].join('\t'));
  return tabwriteText(lines.join('\n')) + '\n';
}

const dfCmd: CommandDef = {
  name: 'df',
  summary: 'Show pier disk usage',
  description: 'pier system df\n\nShow pier disk usage',
  usage: '[options]',
  maxArgs: 0,
  flags: [
    { name: 'format', type: 'string', help: 'Pretty-print images using a Go template' },
    { name: 'verbose', short: 'v', type: 'bool', help: 'Show detailed information on disk usage' },
  ],
  async run(ctx: Ctx, _args, opts) {
    const report = await systemOps(ctx).df();
    if (opts.format !== undefined && opts.verbose) throw new UsageError('cannot combine --format and --verbose flags');
    writeStdout(opts.verbose ? renderDfVerbose(report) : renderDf(report, opts.format));
  },
};

// ---------------------------------------------------------------------------------------
// prune

/** podman's prune warning (system prune). */
export function pruneWarning(all: boolean, volumes: boolean): string {
  const vol = volumes ? '\n\t- all volumes not used by at least one container' : '';
  return all
    ? `WARNING! This command removes:\n\t- all stopped containers\n\t- all networks not used by at least one container${vol}\n\t- all images without at least one container associated with them\n\t- all build cache\n\nAre you sure you want to continue? [y/N] `
    : `WARNING! This command removes:\n\t- all stopped containers\n\t- all networks not used by at least one container${vol}\n\t- all dangling images\n\t- all dangling build cache\n\nAre you sure you want to continue? [y/N] `;
}

function printReports(heading: string, reports: PruneReport[], errors: string[]): void {
  if (!reports.length) return;
  const lines = [heading];
  for (const r of reports) {
    if (r.Err) errors.push(r.Err);
    else lines.push(r.Id);
  }
  writeStdout(lines.join('\n') + '\n');
}

const pruneCmd: CommandDef = {
  name: 'prune',
  summary: 'Remove unused data',
  description: 'pier system prune\n\nRemove unused data',
  usage: '[options]',
  example: 'pier system prune',
  maxArgs: 0,
  flags: [
    { name: 'all', short: 'a', type: 'bool', help: 'Remove all unused data' },
    { name: 'filter', type: 'stringArray', help: "Provide filter values (e.g. 'label=<key>=<value>')" },
    { name: 'force', short: 'f', type: 'bool', help: 'Do not prompt for confirmation.  The default is false' },
    { name: 'volumes', type: 'bool', help: 'Prune volumes' },
  ],
  async run(ctx: Ctx, _args, opts) {
    if (!opts.force && !(await confirm(pruneWarning(!!opts.all, !!opts.volumes)))) return;
    const r = await systemOps(ctx).prune({ all: !!opts.all, volumes: !!opts.volumes, filters: opts.filter ?? [] });
    const errors: string[] = [];
    printReports('Deleted Containers', r.ContainerPruneReports, errors);
    if (opts.volumes) printReports('Deleted Volumes', r.VolumePruneReports, errors);
    printReports('Deleted Images', r.ImagePruneReports, errors);
    for (const e of errors.slice(0, -1)) writeStderr(`Error: ${e}\n`);
    if (errors.length) throw new PierError(errors[errors.length - 1]);
    ctx.out(`Total reclaimed space: ${goHumanSize(r.ReclaimedSpace)}`);
  },
};

// ---------------------------------------------------------------------------------------
// reset

const RESET_WARNING = `WARNING! This will remove:
        - all containers
        - all pods
        - all images
        - all networks
        - all build cache
        - all volumes
`;

const resetCmd: CommandDef = {
  name: 'reset',
  summary: 'Reset pier storage',
  description: 'Reset pier storage back to default state\n\n  All containers will be stopped and removed, and all images, volumes, networks and container content will be removed.',
  usage: '[options]',
  maxArgs: 0,
  flags: [{ name: 'force', short: 'f', type: 'bool', help: 'Do not prompt for confirmation' }],
  async run(ctx: Ctx, _args, opts) {
    const ops = containerOps(ctx);
    if (!opts.force) {
      const prompt = `${RESET_WARNING}        - the graphRoot directory: ${JSON.stringify(ops.store.graphRoot)}\n        - the runRoot directory: ${JSON.stringify(ops.store.runRoot)}\nAre you sure you want to continue? [y/N] `;
      let yes: boolean;
      try { yes = await confirm(prompt); } catch (e) { throw new PierError((e as Error).message, 1); }
      if (!yes) return;
    }
    await ops.reset();
  },
};

// ---------------------------------------------------------------------------------------
// migrate, renumber

const migrateCmd: CommandDef = {
  name: 'migrate',
  summary: 'Migrate containers',
  description: 'Migrate existing containers to a new pier version: running containers are stopped, and with --new-runtime all containers move to that OCI runtime',
  usage: '[options]',
  maxArgs: 0,
  flags: [{ name: 'new-runtime', type: 'string', help: 'Specify a new runtime for all containers' }],
  async run(ctx: Ctx, _args, opts) {
    const stopped = await containerOps(ctx).migrate(opts.newRuntime || undefined);
    for (const id of stopped) ctx.out(`stopped ${id}`);
  },
};

const renumberCmd: CommandDef = {
  name: 'renumber',
  summary: 'Migrate lock numbers',
  description: "Migrate lock numbers to handle a change in maximum number of locks.\n\n  pier's locks are files named by container and pod, so nothing is renumbered; locks left by dead processes are removed.",
  usage: '',
  maxArgs: 0,
  async run(ctx: Ctx) {
    containerOps(ctx).renumber();
  },
};

/** The `pier system` subcommands df, prune, reset, migrate and renumber. */
export function systemOpsCommands(): CommandDef[] {
  return [dfCmd, migrateCmd, pruneCmd, renumberCmd, resetCmd];
}
