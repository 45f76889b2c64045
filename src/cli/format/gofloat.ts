// Go's strconv float formatting ('e', 'f', 'g' with Go's exponent and rounding rules):
// exact decimal expansion of the double, round-half-even on exact ties, shortest digits
// when no precision is given.

/** A decimal: value = 0.digits × 10^dp; digits has no leading or trailing zeros ('' = 0). */
interface Decimal { digits: string; dp: number }

function parseDecimal(s: string): Decimal {
  let mant = s;
  let exp = 0;
  const e = s.indexOf('e');
  if (e >= 0) { mant = s.slice(0, e); exp = parseInt(s.slice(e + 1), 10); }
  const dot = mant.indexOf('.');
  const intPart = dot >= 0 ? mant.slice(0, dot) : mant;
  const all = intPart + (dot >= 0 ? mant.slice(dot + 1) : '');
  let dp = intPart.length + exp;
  let i = 0;
  while (i < all.length && all[i] === '0') { i++; dp--; }
  const digits = all.slice(i).replace(/0+$/, '');
  return digits ? { digits, dp } : { digits: '', dp: 0 };
}

/** Exact (to 100 significant digits) decimal expansion of |x|. */
function exactDecimal(x: number): Decimal {
  return x === 0 ? { digits: '', dp: 0 } : parseDecimal(Math.abs(x).toPrecision(100));
}

/** Shortest digits that round-trip |x|. */
function shortestDecimal(x: number): Decimal {
  return x === 0 ? { digits: '', dp: 0 } : parseDecimal(Math.abs(x).toExponential());
}

/** Rounds to nd significant digits, ties to even. */
function roundDecimal(d: Decimal, nd: number): Decimal {
  if (nd < 0 || d.digits.length <= nd) return d;
  const ds = d.digits;
  let up: boolean;
  if (ds[nd] === '5' && ds.length === nd + 1) up = nd > 0 && (ds.charCodeAt(nd - 1) - 48) % 2 === 1;
  else up = ds[nd] >= '5';
  if (!up) {
    const digits = ds.slice(0, nd).replace(/0+$/, '');
    return digits ? { digits, dp: d.dp } : { digits: '', dp: 0 };
  }
  const arr = ds.slice(0, nd).split('').map((c) => c.charCodeAt(0) - 48);
  let i = nd - 1;
  while (i >= 0 && arr[i] === 9) { arr[i] = 0; i--; }
  if (i < 0) return { digits: '1', dp: d.dp + 1 };
  arr[i]++;
  const digits = arr.slice(0, i + 1).join('');
  return { digits, dp: d.dp };
}

function digitAt(d: Decimal, i: number): string {
  return i >= 0 && i < d.digits.length ? d.digits[i] : '0';
}

function fmtE(d: Decimal, prec: number, upper: boolean): string {
  let s = d.digits ? d.digits[0] : '0';
  if (prec > 0) {
    s += '.';
    for (let i = 1; i <= prec; i++) s += digitAt(d, i);
  }
  const exp = d.digits ? d.dp - 1 : 0;
  const ae = Math.abs(exp);
  return s + (upper ? 'E' : 'e') + (exp < 0 ? '-' : '+') + (ae < 10 ? '0' : '') + ae;
}

function fmtF(d: Decimal, prec: number): string {
  let s = '';
  if (d.dp > 0) { for (let i = 0; i < d.dp; i++) s += digitAt(d, i); } else s = '0';
  if (prec > 0) {
    s += '.';
    for (let i = 0; i < prec; i++) s += digitAt(d, d.dp + i);
  }
  return s;
}

/**
 * Formats like Go's strconv.FormatFloat(x, fmt, prec, 64) for fmt in e, E, f, F, g, G.
 * prec < 0 means the shortest representation that round-trips.
 */
export function formatFloat(x: number, fmt: 'e' | 'E' | 'f' | 'F' | 'g' | 'G', prec: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? '+Inf' : '-Inf';
  const neg = x < 0 || Object.is(x, -0);
  const shortest = prec < 0;
  let d: Decimal;
  const lower = fmt.toLowerCase();
  if (shortest) {
    d = shortestDecimal(x);
    const nd = Math.max(d.digits.length, 1);
    if (lower === 'e') prec = nd - 1;
    else if (lower === 'f') prec = Math.max(d.digits.length - d.dp, 0);
    else prec = nd;
  } else {
    const exact = exactDecimal(x);
    if (lower === 'e') d = roundDecimal(exact, prec + 1);
    else if (lower === 'f') d = roundDecimal(exact, exact.dp + prec);
    else { if (prec === 0) prec = 1; d = roundDecimal(exact, prec); }
  }
  let out: string;
  if (lower === 'e') out = fmtE(d, prec, fmt === 'E');
  else if (lower === 'f') out = fmtF(d, prec);
  else {
    const nd = Math.max(d.digits.length, 1);
    const dp = d.digits ? d.dp : 1;
    let eprec = prec;
    if (eprec > nd && nd >= dp) eprec = nd;
    if (shortest) eprec = 6;
    const exp = dp - 1;
    if (exp < -4 || exp >= eprec) {
      if (prec > nd) prec = nd;
      out = fmtE(d, prec - 1, fmt === 'G');
    } else {
      if (prec > dp) prec = nd;
      out = fmtF(d, Math.max(prec - dp, 0));
    }
  }
  return (neg ? '-' : '') + out;
}
