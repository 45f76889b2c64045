// Side-by-side benchmark of pier and podman in one run: `run --rm IMG true` on the default bridge
// network (netavark on both sides), and a `pod create` + `pod rm` cycle (with the infra container).
// Each side has a private store with the same busybox image. Run: bash bench/pods.sh
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { busyboxImage, writeDockerArchive } from '../tests/fixtures/images';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'pier-bench-pod-'));
const pierBin = path.resolve(__dirname, '..', 'dist', 'pier.js');
const env = { ...process.env };
delete env.NODE_EXTRA_CA_CERTS;

interface Side { name: string; argv: string[] }
const sides: Side[] = [
  { name: 'pier', argv: [pierBin, '--root', path.join(work, 'pier-root'), '--runroot', path.join(work, 'pier-run')] },
  { name: 'podman', argv: ['podman', '--root', path.join(work, 'podman-root'), '--runroot', path.join(work, 'podman-run'), '--runtime', 'runc', '--cgroup-manager', 'cgroupfs', '--events-backend', 'file'] },
];
const cmd = (s: Side, args: string) => `${s.argv.join(' ')} ${args}`;
const RUN_FLAGS = '--ulimit nofile=1024:1024 --ulimit nproc=1024:1024';

function sh(c: string): string {
  const r = spawnSync('bash', ['-c', c], { env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`failed (${r.status}): ${c}\n${r.stderr}`);
  return r.stdout;
}

function hyperfine(label: string, cmds: string[], extra: string[]): number[] {
  const out = path.join(work, `${label}.json`);
  execFileSync('hyperfine', ['--style', 'basic', '--export-json', out, ...extra, ...cmds], { stdio: 'inherit', env });
  return (JSON.parse(fs.readFileSync(out, 'utf8')).results as { median: number }[]).map((r) => r.median);
}

async function main() {
  const rows: { what: string; pier: number; podman: number; target: number }[] = [];
  const archive = path.join(work, 'busybox.tar');
  await writeDockerArchive(archive, [{ image: await busyboxImage('docker'), repoTags: ['localhost/busybox:latest'] }]);
  try {
    for (const s of sides) sh(cmd(s, `load -q -i ${archive}`));
    const runs = process.env.BENCH_RUNS ?? '20';
    const run = hyperfine('run-bridge', sides.map((s) => cmd(s, `run --rm ${RUN_FLAGS} localhost/busybox true`)), ['--warmup', '2', '--runs', runs]);
    rows.push({ what: 'run --rm IMG true (default bridge)', pier: run[0], podman: run[1], target: 0.7 });
    for (const s of sides) {
      const left = sh(cmd(s, 'ps -aq')).trim();
      if (left) throw new Error(`${s.name}: run --rm left containers behind: ${left}`);
    }
    // The first pod builds each side's pause image: outside the timing.
    for (const s of sides) sh(`${cmd(s, 'pod create --name warm')} >/dev/null && ${cmd(s, 'pod rm warm')} >/dev/null`);
    const pod = hyperfine('pod', sides.map((s) => `${cmd(s, 'pod create --name benchpod')} >/dev/null && ${cmd(s, 'pod rm benchpod')} >/dev/null`), ['--warmup', '1', '--runs', runs]);
    rows.push({ what: 'pod create + pod rm', pier: pod[0], podman: pod[1], target: NaN });
  } finally {
    for (const s of sides) spawnSync('bash', ['-c', `${cmd(s, 'pod rm -a -f -t 0')} >/dev/null 2>&1; ${cmd(s, 'rm -a -f -t 0')} >/dev/null 2>&1`], { env });
    spawnSync('bash', ['-c', `grep ' ${work}' /proc/mounts | cut -d' ' -f2 | sort -r | xargs -r umount -l`]);
    spawnSync('rm', ['-rf', work]);
  }
  console.log('\n| benchmark | pier | podman | pier/podman | target | met |');
  console.log('| --- | --- | --- | --- | --- | --- |');
  for (const r of rows) {
    const ratio = r.pier / r.podman;
    const target = isNaN(r.target) ? '-' : `<= ${r.target}x`;
    const met = isNaN(r.target) ? '-' : ratio <= r.target ? 'yes' : 'NO';
    console.log(`| ${r.what} | ${(r.pier * 1000).toFixed(1)} ms | ${(r.podman * 1000).toFixed(1)} ms | ${ratio.toFixed(2)}x | ${target} | ${met} |`);
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
