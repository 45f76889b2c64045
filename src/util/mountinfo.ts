// Reading /proc/PID/mountinfo: the mount points a process's mount namespace has.
import * as fs from 'node:fs';

/** Decodes the octal escapes (`\040` for a space...) of a mountinfo field. */
function unescapeField(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/**
 * The mount points (field 5, decoded) of process `pid`'s mount namespace, in mountinfo's
 * order; null when its mountinfo cannot be read (the process is gone).
 */
export function mountPoints(pid: number | 'self' = 'self'): string[] | null {
  let text: string;
  try { text = fs.readFileSync(`/proc/${pid}/mountinfo`, 'utf8'); } catch { return null; }
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(' ');
    if (f.length > 4) out.push(unescapeField(f[4]));
  }
  return out;
}

/** Whether `target` (an absolute path, as given) is a mount point of this mount namespace. */
export function isMountPoint(target: string): boolean {
  return (mountPoints() ?? []).includes(target);
}

/**
 * The per-mount options (field 6: rw, nosuid, nodev, noexec, relatime...) of the mount that holds
 * `file` in this mount namespace (statfs's f_flags): the deepest mount point above its real
 * path, the last mounted where several share one. Null when neither can be read.
 */
export function mountOptionsOf(file: string): string[] | null {
  let real: string;
  try { real = fs.realpathSync(file); } catch { return null; }
  let text: string;
  try { text = fs.readFileSync('/proc/self/mountinfo', 'utf8'); } catch { return null; }
  let best: { point: string; opts: string } | undefined;
  for (const line of text.split('\n')) {
    const f = line.split(' ');
    if (f.length < 6) continue;
    const point = unescapeField(f[4]);
    const holds = point === '/' || real === point || real.startsWith(point + '/');
    if (holds && (!best || point.length >= best.point.length)) best = { point, opts: f[5] };
  }
  return best ? best.opts.split(',') : null;
}
