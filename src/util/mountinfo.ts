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
