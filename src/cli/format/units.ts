// Human-readable sizes and durations as docker/go-units and podman print them.
import { formatFloat } from './gofloat';

const DECIMAL = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];
const BINARY = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB', 'ZiB', 'YiB'];

function sizeAndUnit(size: number, base: number, units: string[]): [number, string] {
  let i = 0;
  while (size >= base && i < units.length - 1) {
    size /= base;
    i++;
  }
  return [size, units[i]];
}

/** go-units HumanSizeWithPrecision: decimal units, `%.<precision>g` ("11.38kB", "5.8MB", "0B"). */
export function goHumanSize(bytes: number, precision = 4): string {
  const [n, unit] = sizeAndUnit(bytes, 1000, DECIMAL);
  return formatFloat(n, 'g', precision) + unit;
}

/**
 * The size podman shows in tables (`podman images` SIZE): HumanSizeWithPrecision(n, 3)
 * with a space before the unit: "11.4 kB", "5.83 MB", "0 B".
 */
export function humanSize(bytes: number): string {
  const s = goHumanSize(bytes, 3);
  const m = /^(.*\d)(\D*)$/.exec(s);
  return m ? `${m[1]} ${m[2]}` : s;
}

/** go-units BytesSize: binary units, 4 significant digits ("44KiB", "17.5MiB"). */
export function bytesSize(bytes: number): string {
  const [n, unit] = sizeAndUnit(bytes, 1024, BINARY);
  return formatFloat(n, 'g', 4) + unit;
}

/** go-units HumanDuration for a duration in milliseconds ("Less than a second", "About a minute", "3 days"). */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.trunc(ms / 60000);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.round(ms / 3600000);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.trunc(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.trunc(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24 / 30)} months`;
  return `${Math.trunc(Math.trunc(ms / 3600000) / 24 / 365)} years`;
}

function toMs(d: Date | number): number {
  return d instanceof Date ? d.getTime() : d;
}

/** "2 hours ago", as podman prints CREATED: HumanDuration(time.Since(date)) + " ago". */
export function timeAgo(date: Date | number, now: Date | number = Date.now()): string {
  return humanDuration(toMs(now) - toMs(date)) + ' ago';
}

/** HumanDuration(time.Until(date)): how long until a future date ("3 days"). */
export function timeUntil(date: Date | number, now: Date | number = Date.now()): string {
  return humanDuration(toMs(date) - toMs(now));
}
