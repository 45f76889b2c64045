// Side-by-side benchmark of pier and podman image commands, in one run, with hyperfine.
// Each side has its own private store. Prints medians and pier/podman ratios against the
// targets of the foundation issue. Run: bash bench/images.sh
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startRegistry } from '../tests/fixtures/registry';
import { bigImage, pushImage } from '../tests/fixtures/images';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'pier-bench-'));
const pierBin = path.resolve(__dirname, '..', 'dist', 'pier.js');
const env = { ...process.env };
delete env.NODE_EXTRA_CA_CERTS;

interface Side { name: string; cmd: string; root: string; run: string }
const sides: Side[] = [
  { name: 'pier', cmd: pierBin, root: path.join(work, 'pier-root'), run: path.join(work, 'pier-run') },
  { name: 'podman', cmd: 'podman', root: path.join(work, 'podman-root'), run: path.join(work, 'podman-run') },
];
const base = (s: Side) => `${s.cmd} --root ${s.root} --runroot ${s.run}`;

function hyperfine(label: string, cmds: string[], extra: string[]): number[] {
  const out = path.join(work, `${label}.json`);
  const args = ['--style', 'basic', '--export-json', out, ...extra, ...cmds];
  execFileSync('hyperfine', args, { stdio: 'inherit', env });
  const res = JSON.parse(fs.readFileSync(out, 'utf8')).results as { median: number }[];
  return res.map((r) => r.median);
}

function sh(cmd: string): void {
  const r = spawnSync('bash', ['-c', cmd], { stdio: ['ignore', 'ignore', 'inherit'], env });
  if (r.status !== 0) throw new Error(`failed: ${cmd}`);
}

async function main() {
  const rows: { what: string; pier: number; podman: number; target: number }[] = [];
  const reg = await startRegistry({ auth: 'none' });
  try {
    // 1. pull of a multi-layer image (>= 150 MB in >= 5 layers) from the local registry
    const img = await bigImage({ layers: 5, totalBytes: 150e6, seed: 'bench' });
    await pushImage(reg, 'bench/big', 'latest', img);
    const ref = `${reg.host}/bench/big:latest`;
    const pull = hyperfine('pull', sides.map((s) => `${base(s)} pull -q --tls-verify=false ${ref}`), [
      '--runs', process.env.BENCH_PULL_RUNS ?? '5',
      '--prepare', `rm -rf ${sides.map((s) => `${s.root} ${s.run}`).join(' ')}`,
    ]);
    rows.push({ what: 'pull 150 MB / 5 layers', pier: pull[0], podman: pull[1], target: 0.8 });

    // 2. `images` with 100 images in each store
    for (const s of sides) sh(`rm -rf ${s.root} ${s.run}`);
    const tarDir = path.join(work, 'tars');
    fs.mkdirSync(tarDir);
    for (let i = 0; i < 100; i++) {
      const d = path.join(tarDir, `r${i}`);
      fs.mkdirSync(d);
      fs.writeFileSync(path.join(d, 'file'), `image ${i}\n`);
      sh(`tar -C ${d} -cf ${d}.tar .`);
    }
    for (const s of sides) {
      for (let i = 0; i < 100; i++) sh(`${base(s)} import -q ${path.join(tarDir, `r${i}.tar`)} localhost/bench/img${i}:latest`);
    }
    const images = hyperfine('images', sides.map((s) => `${base(s)} images`), ['--warmup', '3', '--runs', '30', '-N']);
    rows.push({ what: 'images (100 images)', pier: images[0], podman: images[1], target: 1.0 });

    // 3. --version
    const version = hyperfine('version', sides.map((s) => `${s.cmd} --version`), ['--warmup', '5', '--runs', '50', '-N']);
    rows.push({ what: '--version', pier: version[0], podman: version[1], target: 1.3 });
  } finally {
    await reg.stop();
    for (const s of sides) spawnSync('rm', ['-rf', s.root, s.run]);
    fs.rmSync(work, { recursive: true, force: true });
  }
  console.log('\n| benchmark | pier median | podman median | pier/podman | target | met |');
  console.log('| --- | --- | --- | --- | --- | --- |');
  for (const r of rows) {
    const ratio = r.pier / r.podman;
    console.log(`| ${r.what} | ${(r.pier * 1000).toFixed(1)} ms | ${(r.podman * 1000).toFixed(1)} ms | ${ratio.toFixed(2)}x | <= ${r.target}x | ${ratio <= r.target ? 'yes' : 'NO'} |`);
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
