// Wall-clock time in nanoseconds for events and log lines. The native addon reads
// CLOCK_REALTIME directly; without it, Node's performance clock (whose first use loads
// perf_hooks, ~4 ms of a command's start) gives µs, with sub-µs digits from the monotonic clock.
import { nativeWith } from './native';

let clockAnchor: { wallNs: bigint; hr: bigint } | undefined;

/** Wall-clock time in nanoseconds since the epoch. */
export function nowNanos(): bigint {
  const addon = nativeWith('realtimeNs');
  if (addon) return addon.realtimeNs();
  const hr = process.hrtime.bigint();
  const wallMs = Date.now();
  if (clockAnchor) {
    const ns = clockAnchor.wallNs + (hr - clockAnchor.hr);
    const drift = ns / 1_000_000n - BigInt(wallMs);
    if (drift >= -2n && drift <= 2n) return ns;
  }
  const precise = performance.timeOrigin + performance.now();
  const base = Math.abs(precise - wallMs) < 2 ? precise : wallMs;
  clockAnchor = { wallNs: BigInt(Math.round(base * 1000)) * 1000n, hr };
  return clockAnchor.wallNs;
}
