// Side-by-side benchmark of pier build and podman build in one run: a 10-step build (RUN, COPY,
// ENV, WORKDIR, LABEL, CMD...), cold (--no-cache) and warm (all cached). Run: bash bench/build.sh
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { busyboxImage, writeDockerArchive } from '../tests/fixtures/images';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'pier-bench-build-'));
const pierBin = path.resolve(__dirname, '..', 'dist', 'pier.js');
const env = { ...process.env };
delete env.NODE_EXTRA_CA_CERTS;

interface Side { name: string; argv: string[] }
const sides: Side[] = [
  { name: 'pier', argv: [pierBin, '--root', path.join(work, 'pier-root'), '--runroot', path.join(work, 'pier-run')] },
  { name: 'podman', argv: ['podman', '--root', path.join(work, 'podman-root'), '--runroot', path.join(work, 'podman-run'), '--runtime', 'runc', '--cgroup-manager', 'cgroupfs', '--events-backend', 'file'] },
];
const cmd = (s: Side, args: string) => `${s.argv.join(' ')} ${args}`;

function sh(c: string): string {
  const r = spawnSync('bash', ['-c', c], { env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`failed (${r.status}): ${c}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

function hyperfine(label: string, cmds: string[], extra: string[]): number[] {
  const out = path.join(work, `${label}.json`);
  execFileSync('hyperfine', ['--style', 'basic', '--export-json', out, ...extra, ...cmds], { stdio: 'inherit', env });
  return (JSON.parse(fs.readFileSync(out, 'utf8')).results as { median: number }[]).map((r) => r.median);
}

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
  const rows: { what: string; pier: number; podman: number; target: number }[] = [];
  try {
    for (const s of sides) sh(cmd(s, `load -q -i ${archive}`));
    // podman's RUN steps need the same rlimits clamp as its containers (the host's hard limit is low).
    const podmanBuildFlags = '--ulimit nofile=1024:1024 --ulimit nproc=1024:1024';
    const b = (s: Side, extra: string) => cmd(s, `build -q ${extra} ${s.name === 'podman' ? podmanBuildFlags : ''} -t benchimg ${ctx}`);
    const runs = process.env.BENCH_RUNS ?? '10';
    const cold = hyperfine('cold', sides.map((s) => b(s, '--no-cache')), ['--warmup', '1', '--runs', runs]);
    rows.push({ what: 'build, 10 steps, cold (--no-cache)', pier: cold[0], podman: cold[1], target: 0.8 });
    for (const s of sides) sh(b(s, ''));
    const warm = hyperfine('warm', sides.map((s) => b(s, '')), ['--warmup', '1', '--runs', runs]);
    rows.push({ what: 'build, 10 steps, warm (all cached)', pier: warm[0], podman: warm[1], target: 0.5 });
  } finally {
    for (const s of sides) spawnSync('bash', ['-c', `${cmd(s, 'rm -a -f -t 0')} >/dev/null 2>&1`], { env });
    spawnSync('bash', ['-c', `grep ' ${work}' /proc/mounts | cut -d' ' -f2 | sort -r | xargs -r umount -l`]);
    spawnSync('rm', ['-rf', work]);
  }
  console.log('\n| benchmark | pier | podman | pier/podman | target | met |');
  console.log('| --- | --- | --- | --- | --- | --- |');
  for (const r of rows) {
    const ratio = r.pier / r.podman;
    console.log(`| ${r.what} | ${(r.pier * 1000).toFixed(1)} ms | ${(r.podman * 1000).toFixed(1)} ms | ${ratio.toFixed(2)}x | <= ${r.target}x | ${ratio <= r.target ? 'yes' : 'NO'} |`);
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
