// Side-by-side benchmark of pier and podman in one run: `run --rm IMG true` on the default bridge
// network (netavark on both sides), and a `pod create` + `pod rm` cycle (with the infra container).
// Each side has a private store with the same busybox image. Run: bash bench/pods.sh
import * as path from 'node:path';
import { busyboxImage, writeDockerArchive } from '../tests/fixtures/images';
import { newBench, sh, hyperfine, printTable, Row } from './harness';

const { work, sides, cmd, cleanup } = newBench('pod');
const RUN_FLAGS = '--ulimit nofile=1024:1024 --ulimit nproc=1024:1024';

async function main() {
  const rows: Row[] = [];
  const archive = path.join(work, 'busybox.tar');
  await writeDockerArchive(archive, [{ image: await busyboxImage('docker'), repoTags: ['localhost/busybox:latest'] }]);
  try {
    for (const s of sides) sh(cmd(s, `load -q -i ${archive}`));
    const runs = process.env.BENCH_RUNS ?? '20';
    const run = hyperfine(work, 'run-bridge', sides.map((s) => cmd(s, `run --rm ${RUN_FLAGS} localhost/busybox true`)), ['--warmup', '2', '--runs', runs]);
    rows.push({ what: 'run --rm IMG true (default bridge)', pier: run[0], podman: run[1], target: 0.7 });
    for (const s of sides) {
      const left = sh(cmd(s, 'ps -aq')).trim();
      if (left) throw new Error(`${s.name}: run --rm left containers behind: ${left}`);
    }
    // The first pod builds each side's pause image: outside the timing.
    for (const s of sides) sh(`${cmd(s, 'pod create --name warm')} >/dev/null && ${cmd(s, 'pod rm warm')} >/dev/null`);
    const pod = hyperfine(work, 'pod', sides.map((s) => `${cmd(s, 'pod create --name benchpod')} >/dev/null && ${cmd(s, 'pod rm benchpod')} >/dev/null`), ['--warmup', '1', '--runs', runs]);
    rows.push({ what: 'pod create + pod rm', pier: pod[0], podman: pod[1], target: NaN });
  } finally {
    cleanup();
  }
  printTable(rows);
}

main().catch((e) => { console.error(e); process.exit(1); });
