// Side-by-side benchmark of the Docker image endpoints: pier's REST service and podman's
// `system service`, each on a private store, driven by the Docker CLI through their sockets in one
// run: `docker pull` of a 5-layer image from a local registry (the image removed before each run),
// `docker images` and `docker image inspect`, plus GET /images/json req/s (16 keep-alive clients).
import { spawn, ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { busyboxImage, multilayerImage, pushImage, writeDockerArchive } from '../tests/fixtures/images';
import { startRegistry } from '../tests/fixtures/registry';
import { newBench, sh, env, hyperfine } from './harness';

const { work, sides, cmd, cleanup } = newBench('api-images');

function get(agent: http.Agent, socket: string, p: string): Promise<void> {
  return new Promise((resolve, reject) => {
    http.get({ socketPath: socket, path: p, agent }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`${p}: ${res.statusCode}`))));
    }).on('error', reject);
  });
}

async function rps(socket: string, p: string, seconds: number, connections = 16): Promise<number> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  let n = 0;
  const end = Date.now() + seconds * 1000;
  await Promise.all(Array.from({ length: connections }, async () => {
    while (Date.now() < end) { await get(agent, socket, p); n++; }
  }));
  agent.destroy();
  return n / seconds;
}

async function main() {
  const reg = await startRegistry();
  const children: ChildProcess[] = [];
  try {
    await pushImage(reg, 'bench/layers', 'latest', await multilayerImage('docker'));
    const archive = path.join(work, 'busybox.tar');
    await writeDockerArchive(archive, [{ image: await busyboxImage('docker'), repoTags: ['localhost/busybox:latest'] }]);
    const sockets = sides.map((s) => path.join(work, `${s.name}.sock`));
    // The registry is plain HTTP: podman needs it declared insecure (pier, as dockerd, allows loopback registries).
    const conf = path.join(work, 'registries.conf');
    fs.writeFileSync(conf, `unqualified-search-registries = []\n[[registry]]\nlocation = "${reg.host}"\ninsecure = true\n`);
    sides.forEach((s, i) => {
      const [bin, ...rest] = s.argv;
      children.push(spawn(bin, [...rest, 'system', 'service', '--time', '0', `unix://${sockets[i]}`], { env: { ...env, CONTAINERS_REGISTRIES_CONF: conf }, stdio: 'ignore' }));
    });
    for (const sock of sockets) {
      for (let i = 0; i < 200; i++) {
        try { await get(new http.Agent(), sock, '/_ping'); break; } catch { await new Promise((r) => setTimeout(r, 100)); }
      }
    }
    // 20 images on each side for the list and inspect.
    sides.forEach((s) => {
      sh(cmd(s, `load -q -i ${archive}`));
      sh(Array.from({ length: 20 }, (_x, i) => cmd(s, `tag localhost/busybox localhost/many:${i}`)).join(' && '));
    });
    const docker = (i: number, args: string) => `env DOCKER_HOST=unix://${sockets[i]} docker ${args}`;
    const ref = `${reg.host}/bench/layers:latest`;
    const runs = process.env.BENCH_RUNS ?? '10';
    const pull = hyperfine(work, 'pull', sides.map((_s, i) => docker(i, `pull -q ${ref}`)),
      ['--warmup', '1', '--runs', runs, '--prepare', sides.map((_s, i) => `${docker(i, `rmi ${ref}`)} >/dev/null 2>&1`).join('; ') + '; true']);
    const images = hyperfine(work, 'images', sides.map((_s, i) => docker(i, 'images')), ['--warmup', '2', '--runs', runs]);
    const inspect = hyperfine(work, 'inspect', sides.map((_s, i) => docker(i, 'image inspect localhost/busybox')), ['--warmup', '2', '--runs', runs]);
    const secs = Number(process.env.BENCH_SECONDS ?? 3);
    const list: number[] = [];
    for (const sock of sockets) { await rps(sock, '/v1.41/images/json', 1); list.push(await rps(sock, '/v1.41/images/json', secs)); }
    const ms = (x: number) => `${(x * 1000).toFixed(0)} ms`;
    console.log('\n| benchmark (Docker CLI through the socket) | pier | podman | pier/podman |');
    console.log('| --- | --- | --- | --- |');
    console.log(`| docker pull (5 layers, local registry) | ${ms(pull[0])} | ${ms(pull[1])} | ${(pull[0] / pull[1]).toFixed(2)}x |`);
    console.log(`| docker images (21 names) | ${ms(images[0])} | ${ms(images[1])} | ${(images[0] / images[1]).toFixed(2)}x |`);
    console.log(`| docker image inspect | ${ms(inspect[0])} | ${ms(inspect[1])} | ${(inspect[0] / inspect[1]).toFixed(2)}x |`);
    console.log(`| GET /images/json, req/s (higher is better) | ${list[0].toFixed(0)} | ${list[1].toFixed(0)} | ${(list[0] / list[1]).toFixed(1)}x |`);
  } finally {
    for (const c of children) c.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 1000));
    await reg.stop();
    cleanup();
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
