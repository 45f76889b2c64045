// Side-by-side benchmark of pier and podman container commands in one run: `run --rm IMG
// true` (--network none), `ps -a` with 100 containers, 20 parallel `run -d`, peak RSS.
// Each side has a private store loaded with the same busybox image. Run: bash bench/containers.sh
import { spawn, spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { busyboxImage, writeDockerArchive } from '../tests/fixtures/images';
import { newBench, sh, hyperfineRounds, printTable, env, Row, Side } from './harness';

const { work, sides, cmd, cleanup } = newBench('ctr');
// podman 4.3's default rlimits exceed this host's hard limits (pier clamps them; podman's
// runc then fails to start the container), so both sides get the same explicit ulimits.
const RUN_FLAGS = '--network none --ulimit nofile=1024:1024 --ulimit nproc=1024:1024';



function peakRss(c: string): number {
  const r = spawnSync('/usr/bin/time', ['-f', '%M', 'bash', '-c', `${c} >/dev/null`], { env, encoding: 'utf8' });
  const lines = r.stderr.trim().split('\n');
  return parseInt(lines[lines.length - 1], 10) / 1024;
}

async function parallelRuns(s: Side, n: number): Promise<number> {
  const t0 = process.hrtime.bigint();
  await Promise.all(Array.from({ length: n }, () => new Promise<void>((resolve, reject) => {
    const [bin, ...rest] = s.argv;
    const p = spawn(bin, [...rest, 'run', '-d', ...RUN_FLAGS.split(' '), 'localhost/busybox', 'sleep', '600'], { env, stdio: 'ignore' });
    p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${s.name} run -d exited ${code}`))));
  })));
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

async function main() {
  const rows: Row[] = [];
  const archive = path.join(work, 'busybox.tar');
  await writeDockerArchive(archive, [{ image: await busyboxImage('docker'), repoTags: ['localhost/busybox:latest'] }]);
  try {
    for (const s of sides) sh(cmd(s, `load -q -i ${archive}`));

    const run = hyperfineRounds(work, 'run', sides.map((s) => cmd(s, `run --rm ${RUN_FLAGS} localhost/busybox true`)), ['--warmup', '2', '--runs', process.env.BENCH_RUNS ?? '10'], 4);
    rows.push({ what: 'run --rm --network none IMG true', pier: run[0], podman: run[1], target: 0.7, unit: 's' });
    for (const s of sides) {
      const left = sh(cmd(s, 'ps -aq')).trim();
      if (left) throw new Error(`${s.name}: run --rm left containers behind: ${left}`);
    }

    const rss = sides.map((s) => peakRss(cmd(s, `run --rm ${RUN_FLAGS} localhost/busybox true`)));
    rows.push({ what: 'peak RSS of run --rm (MiB)', pier: rss[0], podman: rss[1], target: NaN, unit: 'MiB' });

    // Five trials per side, alternating sides (and which goes first); the median of each.
    const trials: number[][] = sides.map(() => []);
    for (let i = 0; i < 5; i++) {
      for (const k of i % 2 ? [1, 0] : [0, 1]) {
        trials[k].push(await parallelRuns(sides[k], 20));
        sh(cmd(sides[k], 'rm -a -f -t 0'));
      }
    }
    const par = trials.map((t) => t.sort((a, b) => a - b)[2]);
    rows.push({ what: '20 parallel run -d (wall)', pier: par[0], podman: par[1], target: 0.7, unit: 's' });

    for (const s of sides) {
      for (let i = 0; i < 100; i += 10) {
        sh(Array.from({ length: 10 }, () => `${cmd(s, `create ${RUN_FLAGS} localhost/busybox true`)} >/dev/null &`).join(' ') + ' wait');
      }
      const n = sh(cmd(s, 'ps -aq')).trim().split('\n').length;
      if (n !== 100) throw new Error(`${s.name}: expected 100 containers, have ${n}`);
    }
    const ps = hyperfineRounds(work, 'ps', sides.map((s) => cmd(s, 'ps -a')), ['--warmup', '3', '--runs', '10'], 4);
    rows.push({ what: 'ps -a (100 containers)', pier: ps[0], podman: ps[1], target: 1.0, unit: 's' });
    const psRss = sides.map((s) => peakRss(cmd(s, 'ps -a')));
    rows.push({ what: 'peak RSS of ps -a (MiB)', pier: psRss[0], podman: psRss[1], target: NaN, unit: 'MiB' });
  } finally {
    cleanup();
  }
  printTable(rows);
}

main().catch((e) => { console.error(e); process.exit(1); });
