// `pier auto-update`: updates the images of containers running in systemd units by their
// io.containers.autoupdate policy and restarts the units (podman 4.3.1's; docs/auto-update.md).
import type { CommandDef } from '../parser';
import type { Ctx } from '../context';
import type { AutoUpdateReport } from '../../domain/containers';
import { failJoined, tlsVerifyFlag } from './images';
import { stderrProgress } from '../progress';
import { formatList, isJSONFormat } from '../format/output';
import { goJSON } from '../format/gojson';
import { asStruct } from '../format/govalue';
import { PierError, errorMessage } from '../../util/errors';
import { writeStdout } from '../../util/stdio';

/** The table podman prints (its template starts with an empty column, so every line is indented). */
const DEFAULT_FORMAT = 'table \t{{.Unit}}\t{{.Container}}\t{{.Image}}\t{{.Policy}}\t{{.Updated}}';

/** What --format templates see (podman's autoUpdateOutput). */
function outputRow(r: AutoUpdateReport) {
  return {
    Unit: r.unit,
    Container: `${r.containerId.slice(0, 12)} (${r.containerName})`,
    ContainerName: r.containerName,
    ContainerID: r.containerId,
    Image: r.imageName,
    Policy: r.policy,
    Updated: r.updated,
  };
}

function render(reports: AutoUpdateReport[], format: string): string {
  const rows = reports.map(outputRow);
  // Only the word json is the JSON array; {{json .}} is a template run for each row.
  if (format === 'json') return goJSON(rows, { indent: '    ', escapeHTML: true });
  if (isJSONFormat(format)) return rows.map((r) => goJSON(r, { escapeHTML: true })).join('\n');
  return formatList(rows.map((r) => asStruct(r, 'main.autoUpdateOutput')), format || DEFAULT_FORMAT, DEFAULT_FORMAT, { name: 'auto-update' });
}

export function autoUpdateCommand(): CommandDef {
  return {
    name: 'auto-update',
    summary: 'Auto update containers according to their auto-update policy',
    description: [
      'Auto update containers according to their auto-update policy.',
      '',
      'Auto-update policies are specified with the "io.containers.autoupdate" label.',
      'Containers are expected to run in systemd units created with "pier generate systemd --new",',
      'or similar units that create new containers in order to run the updated images.',
      'Please refer to docs/auto-update.md for details.',
    ].join('\n'),
    usage: '[options]',
    example: 'pier auto-update\npier auto-update --authfile ~/authfile.json',
    maxArgs: 0,
    flags: [
      { name: 'authfile', type: 'string', default: process.env.REGISTRY_AUTH_FILE ?? '', help: 'Path to the authentication file. Use REGISTRY_AUTH_FILE environment variable to override' },
      { name: 'dry-run', type: 'bool', help: 'Check for pending updates' },
      { name: 'format', type: 'string', help: 'Change the output format to JSON or a Go template' },
      { name: 'rollback', type: 'bool', default: true, help: 'Rollback to previous image if update fails' },
      tlsVerifyFlag,
    ],
    async run(ctx: Ctx, _args, opts) {
      const engine = ctx.containers();
      if (!engine.autoUpdate) throw new PierError(`cannot use command "pier auto-update" with the remote pier client`);
      const { reports, errors } = await engine.autoUpdate({
        authfile: opts.authfile || undefined,
        dryRun: !!opts.dryRun,
        rollback: opts.rollback !== false,
        tlsVerify: opts.changed?.has('tls-verify') ? !!opts.tlsVerify : undefined,
        progress: stderrProgress(),
      });
      if (reports.length) {
        try {
          ctx.out(render(reports, opts.format ?? ''));
        } catch (e) {
          // A template that fails joins the other errors (what it printed first stays).
          if (!errors.length) throw e;
          const partial = (e as { partialOutput?: unknown }).partialOutput;
          if (typeof partial === 'string') writeStdout(partial);
          errors.push(errorMessage(e));
        }
      }
      if (errors.length) failJoined(errors, 125);
    },
  };
}
