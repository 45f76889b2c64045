// Side-by-side benchmark of pier's REST service and podman's `system service` in one run:
// requests/s and p99 latency of GET /containers/json (50 containers) and GET /containers/{id}/json
// (our own keep-alive load generator, 16 connections, over each unix socket), `docker run --rm IMG
// true` through each socket (hyperfine), and each idle service's RSS.
import { execFileSync, spawn, spawnSync, ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { busyboxImage, writeDockerArchive } from '../tests/fixtures/images';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'pier-bench-api-'));
const pierBin = path.resolve(__dirname, '..', 'dist', 'pier.js');
const env = { ...process.env };
delete env.NODE_EXTRA_CA_CERTS;

interface Side { name: string; argv: string[]; socket: string; child?: ChildProcess }
const sides: Side[] = [
  { name: 'pier', argv: [pierBin, '--root', path.join(work, 'pier-root'), '--runroot', path.join(work, 'pier-run')], socket: path.join(work, 'pier.sock') },
  { name: 'podman', argv: ['podman', '--root', path.join(work, 'podman-root'), '--runroot', path.join(work, 'podman-run'), '--runtime', 'runc', '--cgroup-manager', 'cgroupfs', '--events-backend', 'file'], socket: path.join(work, 'podman.sock') },
];
const cmd = (s: Side, args: string) => `${s.argv.join(' ')} ${args}`;

function sh(c: string): string {
  const r = spawnSync('bash', ['-c', c], { env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`failed (${r.status}): ${c}\n${r.stderr}`);
  return r.stdout;
}

function get(agent: http.Agent, socket: string, p: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    http.get({ socketPath: socket, path: p, agent }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve(Number(process.hrtime.bigint() - t0) / 1e6) : reject(new Error(`${p}: ${res.statusCode}`))));
    }).on('error', reject);
  });
}

/** `connections` concurrent keep-alive clients for `seconds`: requests/s and p99 (ms). */
async function load(socket: string, p: string, seconds: number, connections = 16): Promise<{ rps: number; p99: number }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const lat: number[] = [];
  const end = Date.now() + seconds * 1000;
  await Promise.all(Array.from({ length: connections }, async () => {
    while (Date.now() < end) lat.push(await get(agent, socket, p));
  }));
  agent.destroy();
  lat.sort((a, b) => a - b);
  return { rps: lat.length / seconds, p99: lat[Math.floor(lat.length * 0.99)] ?? NaN };
}

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

async function main() {
  const archive = path.join(work, 'busybox.tar');
  await writeDockerArchive(archive, [{ image: await busyboxImage('docker'), repoTags: ['localhost/busybox:latest'] }]);
  const rows: string[] = [];
  try {
    for (const s of sides) {
      sh(cmd(s, `load -q -i ${archive}`));
      for (let i = 0; i < 50; i += 10) sh(Array.from({ length: 10 }, () => `${cmd(s, 'create --network none localhost/busybox true')} >/dev/null &`).join(' ') + ' wait');
      const [bin, ...rest] = s.argv;
      s.child = spawn(bin, [...rest, 'system', 'service', '--time', '0', `unix://${s.socket}`], { env, stdio: 'ignore' });
      for (let i = 0; i < 100 && !fs.existsSync(s.socket); i++) await new Promise((r) => setTimeout(r, 100));
      await get(new http.Agent(), s.socket, '/_ping').catch(() => undefined);
    }
    await new Promise((r) => setTimeout(r, 1000));
    const idle = sides.map((s) => rssMiB(s.child!.pid!));
    const secs = Number(process.env.BENCH_SECONDS ?? 5);
    const list = [];
    const insp = [];
    for (const s of sides) {
      await load(s.socket, '/v1.41/containers/json?all=1', 1);
      list.push(await load(s.socket, '/v1.41/containers/json?all=1', secs));
      const id = sh(cmd(s, 'ps -a -q --no-trunc')).trim().split('\n')[0];
      insp.push(await load(s.socket, `/v1.41/containers/${id}/json`, secs));
    }
    const runs = process.env.BENCH_RUNS ?? '10';
    const out = path.join(work, 'docker-run.json');
    execFileSync('hyperfine', ['--style', 'basic', '--export-json', out, '--warmup', '1', '--runs', runs,
      ...sides.map((s) => `env DOCKER_HOST=unix://${s.socket} docker run --rm --network none --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 localhost/busybox true`)], { stdio: 'inherit', env });
    const dr = (JSON.parse(fs.readFileSync(out, 'utf8')).results as { median: number }[]).map((r) => r.median);
    rows.push(`| GET /containers/json (50 containers), req/s | ${list[0].rps.toFixed(0)} | ${list[1].rps.toFixed(0)} | ${(list[0].rps / list[1].rps).toFixed(1)}x | >= 20x | ${list[0].rps / list[1].rps >= 20 ? 'yes' : 'NO'} |`);
    rows.push(`| GET /containers/json p99 | ${list[0].p99.toFixed(1)} ms | ${list[1].p99.toFixed(1)} ms | ${(list[0].p99 / list[1].p99).toFixed(2)}x | - | - |`);
    rows.push(`| GET /containers/{id}/json, req/s | ${insp[0].rps.toFixed(0)} | ${insp[1].rps.toFixed(0)} | ${(insp[0].rps / insp[1].rps).toFixed(1)}x | - | - |`);
    rows.push(`| GET /containers/{id}/json p99 | ${insp[0].p99.toFixed(1)} ms | ${insp[1].p99.toFixed(1)} ms | ${(insp[0].p99 / insp[1].p99).toFixed(2)}x | - | - |`);
    rows.push(`| docker run --rm IMG true through the socket | ${(dr[0] * 1000).toFixed(0)} ms | ${(dr[1] * 1000).toFixed(0)} ms | ${(dr[0] / dr[1]).toFixed(2)}x | <= 0.6x | ${dr[0] / dr[1] <= 0.6 ? 'yes' : 'NO'} |`);
    rows.push(`| idle service RSS | ${idle[0].toFixed(1)} MiB | ${idle[1].toFixed(1)} MiB | ${(idle[0] / idle[1]).toFixed(2)}x | - | - |`);
  } finally {
    for (const s of sides) s.child?.kill('SIGTERM');
    for (const s of sides) spawnSync('bash', ['-c', `${cmd(s, 'rm -a -f -t 0')} >/dev/null 2>&1`], { env });
    spawnSync('bash', ['-c', `grep ' ${work}' /proc/mounts | cut -d' ' -f2 | sort -r | xargs -r umount -l`]);
    spawnSync('rm', ['-rf', work]);
  }
  console.log('\n| benchmark | pier | podman | pier vs podman | target | met |');
  console.log('| --- | --- | --- | --- | --- | --- |');
  for (const r of rows) console.log(r);
}

main().catch((e) => { console.error(e); process.exit(1); });
