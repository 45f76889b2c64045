// Go's time.Duration as it prints.

/** Go's time.Duration String() for a duration in ns: "0s", "1.5ms", "2m3.000004s". */
export function goDuration(ns: number): string {
  let n = Math.round(ns);
  if (n === 0) return '0s';
  const neg = n < 0;
  if (neg) n = -n;
  const frac = (v: number, digits: number): string => {
    const s = String(v).padStart(digits, '0').replace(/0+$/, '');
    return s ? '.' + s : '';
  };
  let out: string;
  if (n < 1000) out = `${n}ns`;
  else if (n < 1e6) out = `${Math.floor(n / 1e3)}${frac(n % 1e3, 3)}µs`;
  else if (n < 1e9) out = `${Math.floor(n / 1e6)}${frac(n % 1e6, 6)}ms`;
  else {
    const totalSec = Math.floor(n / 1e9);
    const sub = n % 1e9;
    const h = Math.floor(totalSec / 3600);
    const m = Math.floor((totalSec % 3600) / 60);
    const s = totalSec % 60;
    out = `${h ? h + 'h' : ''}${h || m ? m + 'm' : ''}${s}${frac(sub, 9)}s`;
  }
  return neg ? '-' + out : out;
}
