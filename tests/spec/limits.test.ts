import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { buildRlimits, parseProcLimits, parseUlimit, readHostLimits, RLIM_INFINITY, type HostLimits } from '../../src/engine/spec/limits';
import { generateSpec, serializeSpec } from '../../src/engine/spec';

const PROC_LIMITS = `Limit                     Soft Limit           Hard Limit           Units
Max cpu time              unlimited            unlimited            seconds
Max processes             96365                96365                processes
Max open files            1024                 20000                files
Max locked memory         8388608              8388608              bytes
`;

function host(over: Partial<HostLimits> = {}): HostLimits {
  return { limits: parseProcLimits(PROC_LIMITS), pidMax: 32768, nrOpen: 1048576, canRaise: false, ...over };
}

test('parseProcLimits reads soft/hard and unlimited', () => {
  const l = parseProcLimits(PROC_LIMITS);
  assert.deepEqual(l.RLIMIT_NOFILE, { soft: 1024, hard: 20000 });
  assert.deepEqual(l.RLIMIT_CPU, { soft: RLIM_INFINITY, hard: RLIM_INFINITY });
  assert.deepEqual(l.RLIMIT_NPROC, { soft: 96365, hard: 96365 });
});

test('defaults are clamped to the host hard limits without CAP_SYS_RESOURCE', () => {
  assert.deepEqual(buildRlimits([], host()), [
    { type: 'RLIMIT_NOFILE', hard: 20000, soft: 20000 },
    // podman falls back to pid_max when it cannot raise NPROC to 1048576.
    { type: 'RLIMIT_NPROC', hard: 32768, soft: 32768 },
  ]);
  const low = host({ pidMax: 4194304 });
  assert.equal(buildRlimits([], low)[1].hard, 96365);
});

test('defaults are podman\'s 1048576 when the engine may raise limits', () => {
  assert.deepEqual(buildRlimits([], host({ canRaise: true })), [
    { type: 'RLIMIT_NOFILE', hard: 1048576, soft: 1048576 },
    { type: 'RLIMIT_NPROC', hard: 1048576, soft: 1048576 },
  ]);
  assert.equal(buildRlimits([], host({ canRaise: true, nrOpen: 65536 }))[0].hard, 65536);
});

test('user ulimits come first and replace the defaults they name', () => {
  const r = buildRlimits(['nofile=100:200', 'core=-1', 'nofile=300'], host());
  assert.deepEqual(r, [
    { type: 'RLIMIT_NOFILE', hard: 300, soft: 300 },
    { type: 'RLIMIT_CORE', hard: RLIM_INFINITY, soft: RLIM_INFINITY },
    { type: 'RLIMIT_NPROC', hard: 32768, soft: 32768 },
  ]);
});

test('ulimit host copies the engine\'s limits', () => {
  const r = buildRlimits(['host'], host());
  assert.deepEqual(r.find((x) => x.type === 'RLIMIT_NOFILE'), { type: 'RLIMIT_NOFILE', hard: 20000, soft: 1024 });
  assert.deepEqual(r.find((x) => x.type === 'RLIMIT_MEMLOCK'), { type: 'RLIMIT_MEMLOCK', hard: 8388608, soft: 8388608 });
});

test('parseUlimit validation', () => {
  assert.deepEqual(parseUlimit('nproc=5:10'), { type: 'RLIMIT_NPROC', hard: 10, soft: 5 });
  assert.throws(() => parseUlimit('bogus=1'), /invalid ulimit type: bogus/);
  assert.throws(() => parseUlimit('nofile'), /invalid ulimit argument: nofile/);
  assert.throws(() => parseUlimit('nofile=10:5'), /soft limit must be less than or equal to hard limit: 10 > 5/);
  assert.throws(() => parseUlimit('nofile=abc'), /invalid ulimit argument/);
  assert.throws(() => parseUlimit('nofile=1:2:3'), /too many limit value arguments/);
});

test('readHostLimits matches /proc/self/limits of this process', () => {
  const h = readHostLimits();
  const text = fs.readFileSync('/proc/self/limits', 'utf8');
  const m = /^Max open files\s+(\S+)\s+(\S+)/m.exec(text);
  assert.ok(m);
  assert.equal(String(h.limits.RLIMIT_NOFILE.hard), m[2] === 'unlimited' ? String(RLIM_INFINITY) : m[2]);
  assert.ok(h.pidMax > 0);
  // The generated default never exceeds what this host lets the runtime set.
  const spec = generateSpec({ id: 'x'.repeat(64), rootfs: '/nonexistent', args: ['true'], seccomp: 'unconfined' });
  const nofile = spec.process.rlimits!.find((r) => r.type === 'RLIMIT_NOFILE')!;
  if (!h.canRaise) assert.ok(BigInt(nofile.hard) <= BigInt(h.limits.RLIMIT_NOFILE.hard));
  assert.ok(BigInt(nofile.hard) <= 1048576n);
});

test('serializeSpec writes RLIM_INFINITY as an exact uint64', () => {
  const spec = generateSpec({ id: 'y'.repeat(64), rootfs: '/r', args: ['true'], ulimits: ['core=-1'], seccomp: 'unconfined', hostLimits: host() });
  const json = serializeSpec(spec);
  assert.match(json, /\{"type":"RLIMIT_CORE","hard":18446744073709551615,"soft":18446744073709551615\}/);
  assert.doesNotThrow(() => JSON.parse(json));
});
