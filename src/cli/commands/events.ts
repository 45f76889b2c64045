// `pier events` / `pier system events`: print (and by default follow) the event log the way
// podman 4.3's file events backend does: human lines, JSON lines, or a Go template per event.
import { CommandDef, Opts } from '../parser';
import { Ctx } from '../context';
import { PierError } from '../../util/errors';
import { compileTemplate, Template, TemplateError } from '../format/gotemplate';
import { asStruct } from '../format/govalue';
import { isJSONFormat, normalizeFormat } from '../format/output';
import { EventRecord, eventLogOptions, eventToJSON, formatGoTime, readEvents } from '../../engine/events';
import { writeStdout } from '../../util/stdio';

/** stringid.TruncateID: drop an algorithm prefix, keep 12 characters. */
function truncateID(id: string): string {
  const colon = id.indexOf(':');
  const s = colon >= 0 ? id.slice(colon + 1) : id;
  return s.length > 12 ? s.slice(0, 12) : s;
}

/** podman's Event.ToHumanReadable: `TIME TYPE STATUS ID (image=..., name=..., labels...)`. */
export function humanReadableEvent(e: EventRecord, truncate: boolean): string {
  const t = formatGoTime(e.TimeNano);
  const id = truncate ? truncateID(e.ID ?? '') : e.ID ?? '';
  switch (e.Type) {
    case 'container':
    case 'pod': {
      let s = `${t} ${e.Type} ${e.Status} ${id} (image=${e.Image ?? ''}, name=${e.Name ?? ''}`;
      if (e.PodID) s += `, pod_id=${e.PodID}`;
      if (e.HealthStatus) s += `, health_status=${e.HealthStatus}`;
      for (const [k, v] of Object.entries(e.Attributes ?? {})) s += `, ${k}=${v}`;
      return s + ')';
    }
    case 'network':
      return `${t} ${e.Type} ${e.Status} ${id} (container=${id}, name=${e.Network ?? ''})`;
    case 'image':
      return `${t} ${e.Type} ${e.Status} ${id} ${e.Name ?? ''}`;
    case 'system':
      return e.Name ? `${t} ${e.Type} ${e.Status} ${e.Name}` : `${t} ${e.Type} ${e.Status}`;
    default:
      return `${t} ${e.Type} ${e.Status} ${e.Name ?? ''}`;
  }
}

/**
 * The value templates see: libpod's events.Event struct. PodID and Attributes (promoted
 * from the embedded Details) are found by `.PodID`/`.Attributes` but, as in Go, are not
 * printed twice by `{{.}}`.
 */
export function eventTemplateData(e: EventRecord): object {
  const attrs = e.Attributes ?? {};
  const details = asStruct({ ID: '', PodID: e.PodID ?? '', Attributes: attrs }, 'events.Details');
  const o = asStruct({
    ContainerExitCode: e.ContainerExitCode ?? 0,
    ID: e.ID ?? '',
    Image: e.Image ?? '',
    Name: e.Name ?? '',
    Network: e.Network ?? '',
    Status: e.Status,
    Time: formatGoTime(e.TimeNano),
    Type: e.Type,
    HealthStatus: e.HealthStatus ?? '',
    Details: details,
  }, '*events.Event');
  Object.defineProperty(o, 'PodID', { value: details.PodID, enumerable: false });
  Object.defineProperty(o, 'Attributes', { value: attrs, enumerable: false });
  return o;
}

/**
 * podman's report.Parse with OriginUnknown: normalized, ranged only for `table`; a format that
 * does not parse once normalized (`{{"\n"}}`: the escape became a newline inside the quotes) is
 * parsed as written.
 */
function compileEventFormat(format: string): Template {
  const table = format.startsWith('table ');
  const f = table ? `{{range .}}${normalizeFormat(format)}{{end -}}` : normalizeFormat(format);
  try {
    return compileTemplate(f, { name: 'events' });
  } catch (e) {
    if (!(e instanceof TemplateError)) throw e;
    return compileTemplate(table ? `{{range .}}${format}{{end -}}` : format, { name: 'events' });
  }
}

/** How each event is printed, from --format and --no-trunc. */
function eventPrinter(opts: Opts): (e: EventRecord) => string {
  if (opts.changed?.has('format')) {
    const format = String(opts.format ?? '');
    if (isJSONFormat(format)) return (e) => eventToJSON(e) + '\n';
    const tmpl = compileEventFormat(format);
    return (e) => {
      try {
        return tmpl.execute(eventTemplateData(e));
      } catch (err) {
        if (err instanceof TemplateError && err.partialOutput) {
          writeStdout(err.partialOutput);
          err.partialOutput = undefined;
        }
        throw err;
      }
    };
  }
  const truncate = !opts.noTrunc;
  return (e) => humanReadableEvent(e, truncate) + '\n';
}

async function runEvents(ctx: Ctx, opts: Opts): Promise<number> {
  const print = eventPrinter(opts);
  const stream = opts.stream !== false;
  if (!ctx.remoteUri && eventLogOptions(ctx.cfg.engine).disabled) throw new PierError('cannot read events with the "none" backend');
  const ac = new AbortController();
  // A closed pipe (`pier events | head -1`) ends the command quietly.
  const onStdoutError = (): void => ac.abort();
  process.stdout.on('error', onStdoutError);
  try {
    const remote = (ctx.engines as { events?: (o: { since?: string; until?: string; filters?: string[]; stream: boolean; signal?: AbortSignal }) => AsyncGenerator<EventRecord> }).events;
    const events = remote
      ? remote.call(ctx.engines, { since: opts.since || undefined, until: opts.until || undefined, filters: opts.filter ?? [], stream, signal: ac.signal })
      : readEvents(ctx.cfg.runRoot, {
        file: eventLogOptions(ctx.cfg.engine).path,
        since: opts.since || undefined,
        until: opts.until || undefined,
        filters: opts.filter ?? [],
        follow: stream,
        signal: ac.signal,
      });
    for await (const e of events) {
      if (ac.signal.aborted) break;
      writeStdout(print(e));
    }
  } catch (e) {
    if (e instanceof PierError) throw e;
    throw new PierError((e as Error).message);
  } finally {
    process.stdout.off('error', onStdoutError);
  }
  return 0;
}

/** `pier events` (also used as `pier system events`). */
export function eventsCommand(): CommandDef {
  return {
    name: 'events',
    summary: 'Show pier events',
    description: 'Monitor pier events.\n\n  By default, streaming mode is used, printing new events as they occur.  Previous events can be listed via --since and --until.',
    usage: '[options]',
    example: ['pier events', 'pier events --filter event=create', 'pier events --format {{.Image}}', 'pier events --since 1h30s'].join('\n'),
    maxArgs: 0,
    flags: [
      { name: 'filter', short: 'f', type: 'stringArray', help: 'filter output' },
      { name: 'format', type: 'string', help: 'format the output using a Go template' },
      { name: 'no-trunc', type: 'bool', default: true, help: 'do not truncate the output' },
      { name: 'since', type: 'string', help: 'show all events created since timestamp' },
      { name: 'stream', type: 'bool', default: true, hidden: true, help: 'stream new events; for testing only' },
      { name: 'until', type: 'string', help: 'show all events until timestamp' },
    ],
    run: (ctx: Ctx, _args: string[], opts: Opts) => runEvents(ctx, opts),
  };
}
