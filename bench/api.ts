// Side-by-side benchmark of pier's REST service, podman's `system service` and (when Debian's
// docker.io is installed and starts) dockerd, in one run: requests/s and p99 latency of
// GET /containers/json (50 containers) and GET /containers/{id}/json (our own keep-alive load
// generator, 16 connections, over each unix socket), `docker run --rm IMG true` through each socket
// (hyperfine), and each idle service's RSS. Each service has a private store.
import { execFileSync, spawn, spawnSync, ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { busyboxImage, writeDockerArchive } from '../tests/fixtures/images';
import { newBench, sh, env } from './harness';

const { work, sides: cliSides, cmd, cleanup } = newBench('api');

interface Service {
  name: string;
  socket: string;
  child?: ChildProcess;
  /** A shell command with the service's CLI (pier/podman on their store; docker on the socket). */
  cli(args: string): string;
  start(): ChildProcess;
}

const services: Service[] = cliSides.map((s) => ({
  name: s.name,
  socket: path.join(work, `${s.name}.sock`),
  cli: (args: string) => cmd(s, args),
  start() {
    const [bin, ...rest] = s.argv;
    return spawn(bin, [...rest, 'system', 'service', '--time', '0', `unix://${path.join(work, `${s.name}.sock`)}`], { env, stdio: 'ignore' });
  },
}));
const dockerd = spawnSync('bash', ['-c', 'command -v dockerd']).status === 0;
if (dockerd) {
  const d = path.join(work, 'dockerd');
  services.push({
    name: 'dockerd',
    socket: path.join(d, 'docker.sock'),
    cli: (args: string) => `env DOCKER_HOST=unix://${path.join(d, 'docker.sock')} docker ${args.replace(/^rm -a -f -t 0$/, 'container prune -f')}`,
    start() {
      fs.mkdirSync(d, { recursive: true });
      // Its own data and exec roots, no bridge or iptables changes: it coexists with pier and podman.
      return spawn('dockerd', ['--data-root', path.join(d, 'root'), '--exec-root', path.join(d, 'exec'), '-H', `unix://${path.join(d, 'docker.sock')}`,
        '--pidfile', path.join(d, 'docker.pid'), '--bridge', 'none', '--iptables=false', '--ip6tables=false'], { env, stdio: 'ignore' });
    },
  });
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
  const active: Service[] = [];
  try {
    for (const s of services) {
      s.child = s.start();
      for (let i = 0; i < 200 && !fs.existsSync(s.socket); i++) await new Promise((r) => setTimeout(r, 100));
      try {
        await get(new http.Agent(), s.socket, '/_ping');
      } catch {
        console.log(`${s.name}: the service did not start; left out`);
        s.child.kill();
        continue;
      }
      sh(s.cli(`load -q -i ${archive}`));
      for (let i = 0; i < 50; i += 10) sh(Array.from({ length: 10 }, () => `${s.cli('create --network none localhost/busybox true')} >/dev/null &`).join(' ') + ' wait');
      active.push(s);
    }
    await new Promise((r) => setTimeout(r, 1000));
    const secs = Number(process.env.BENCH_SECONDS ?? 5);
    const rows: Record<string, string[]> = { list: [], listP99: [], insp: [], inspP99: [], run: [], rss: [] };
    for (const s of active) {
      rows.rss.push(`${rssMiB(s.child!.pid!).toFixed(1)} MiB`);
      await load(s.socket, '/v1.41/containers/json?all=1', 1);
      const l = await load(s.socket, '/v1.41/containers/json?all=1', secs);
      const id = sh(s.cli('ps -a -q --no-trunc')).trim().split('\n')[0];
      const i = await load(s.socket, `/v1.41/containers/${id}/json`, secs);
      rows.list.push(l.rps.toFixed(0)); rows.listP99.push(`${l.p99.toFixed(1)} ms`);
      rows.insp.push(i.rps.toFixed(0)); rows.inspP99.push(`${i.p99.toFixed(1)} ms`);
    }
    const out = path.join(work, 'docker-run.json');
    execFileSync('hyperfine', ['--style', 'basic', '--export-json', out, '--warmup', '1', '--runs', process.env.BENCH_RUNS ?? '10',
      ...active.map((s) => `env DOCKER_HOST=unix://${s.socket} docker run --rm --network none --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 localhost/busybox true`)], { stdio: 'inherit', env });
    const dr = (JSON.parse(fs.readFileSync(out, 'utf8')).results as { median: number }[]).map((r) => r.median);
    rows.run = dr.map((x) => `${(x * 1000).toFixed(0)} ms`);
    const names = active.map((s) => s.name);
    const pi = names.indexOf('pier');
    const po = names.indexOf('podman');
    const listRatio = Number(rows.list[pi]) / Number(rows.list[po]);
    const runRatio = dr[pi] / dr[po];
    console.log(`\n| benchmark | ${names.join(' | ')} | pier vs podman | target |`);
    console.log(`| --- |${names.map(() => ' --- |').join('')} --- | --- |`);
    console.log(`| GET /containers/json (50 containers), req/s | ${rows.list.join(' | ')} | ${listRatio.toFixed(1)}x | >= 20x ${listRatio >= 20 ? 'met' : 'MISSED'} |`);
    console.log(`| GET /containers/json p99 | ${rows.listP99.join(' | ')} | - | - |`);
    console.log(`| GET /containers/{id}/json, req/s | ${rows.insp.join(' | ')} | ${(Number(rows.insp[pi]) / Number(rows.insp[po])).toFixed(1)}x | - |`);
    console.log(`| GET /containers/{id}/json p99 | ${rows.inspP99.join(' | ')} | - | - |`);
    console.log(`| docker run --rm IMG true through the socket | ${rows.run.join(' | ')} | ${runRatio.toFixed(2)}x | <= 0.6x ${runRatio <= 0.6 ? 'met' : 'MISSED'} |`);
    console.log(`| idle service RSS | ${rows.rss.join(' | ')} | - | - |`);
  } finally {
    for (const s of services) if (s.name === 'dockerd') spawnSync('bash', ['-c', `${s.cli('rm -a -f -t 0')} >/dev/null 2>&1`], { env });
    for (const s of services) s.child?.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 1500));
    cleanup();
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
