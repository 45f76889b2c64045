// Side-by-side benchmark of pier build and podman build in one run: a 10-step build (RUN, COPY,
// ENV, WORKDIR, LABEL, CMD...), cold (--no-cache) and warm (all cached). Run: bash bench/build.sh
import * as fs from 'node:fs';
import * as path from 'node:path';
import { busyboxImage, writeDockerArchive } from '../tests/fixtures/images';
import { newBench, sh, hyperfine, printTable, Row, Side } from './harness';

const { work, sides, cmd, cleanup } = newBench('build');

async function main() {
  const ctx = path.join(work, 'ctx');
  fs.mkdirSync(ctx);
  fs.writeFileSync(path.join(ctx, 'app.txt'), 'application\n');
  fs.writeFileSync(path.join(ctx, 'Containerfile'), [
    'FROM localhost/busybox',
    'ENV APP_HOME=/app MODE=bench',
    'WORKDIR /app',
    'COPY app.txt ./',
    'RUN echo one > one.txt',
    'RUN echo two > two.txt && cat one.txt two.txt > both.txt',
    'LABEL bench=yes',
    'EXPOSE 8080',
    'USER nobody',
    'CMD ["cat", "/app/both.txt"]',
    '',
  ].join('\n'));
  const archive = path.join(work, 'busybox.tar');
  await writeDockerArchive(archive, [{ image: await busyboxImage('docker'), repoTags: ['localhost/busybox:latest'] }]);
  const rows: Row[] = [];
  try {
    for (const s of sides) sh(cmd(s, `load -q -i ${archive}`));
    // podman's RUN steps need the same rlimits clamp as its containers (the host's hard limit is low).
    const podmanBuildFlags = '--ulimit nofile=1024:1024 --ulimit nproc=1024:1024';
    const b = (s: Side, extra: string) => cmd(s, `build -q ${extra} ${s.name === 'podman' ? podmanBuildFlags : ''} -t benchimg ${ctx}`);
    const runs = process.env.BENCH_RUNS ?? '10';
    const cold = hyperfine(work, 'cold', sides.map((s) => b(s, '--no-cache')), ['--warmup', '1', '--runs', runs]);
    rows.push({ what: 'build, 10 steps, cold (--no-cache)', pier: cold[0], podman: cold[1], target: 0.8 });
    for (const s of sides) sh(b(s, ''));
    const warm = hyperfine(work, 'warm', sides.map((s) => b(s, '')), ['--warmup', '1', '--runs', runs]);
    rows.push({ what: 'build, 10 steps, warm (all cached)', pier: warm[0], podman: warm[1], target: 0.5 });
  } finally {
    cleanup();
  }
  printTable(rows);
}

main().catch((e) => { console.error(e); process.exit(1); });
