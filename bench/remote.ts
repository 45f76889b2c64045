// Side-by-side benchmark of the remote clients, in one run: `pier --url` against pier's service and
// `podman --url` against podman's (each service on its own private store), for `ps -a` with 20
// containers, `images`, `run --rm IMG true` (attach, start, wait, remove) and `exec CTR true`.
import { spawn, ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { busyboxImage, writeDockerArchive } from '../tests/fixtures/images';
import { newBench, sh, env, hyperfine, printTable, Row } from './harness';

const { work, sides, cmd, cleanup } = newBench('remote');
const ULIMITS = '--ulimit nofile=1024:1024 --ulimit nproc=1024:1024';

async function main() {
  const archive = path.join(work, 'busybox.tar');
  await writeDockerArchive(archive, [{ image: await busyboxImage('docker'), repoTags: ['localhost/busybox:latest'] }]);
  const children: ChildProcess[] = [];
  try {
    const remote: string[] = [];
    for (const s of sides) {
      const sock = path.join(work, `${s.name}.sock`);
      const [bin, ...rest] = s.argv;
      children.push(spawn(bin, [...rest, 'system', 'service', '--time', '0', `unix://${sock}`], { env, stdio: 'ignore' }));
      for (let i = 0; i < 200 && !fs.existsSync(sock); i++) await new Promise((r) => setTimeout(r, 100));
      sh(cmd(s, `load -q -i ${archive}`));
      for (let i = 0; i < 20; i++) sh(`${cmd(s, 'create --network none localhost/busybox true')} >/dev/null`);
      sh(`${cmd(s, `run -d --name exec-target --network none ${ULIMITS} localhost/busybox sleep 600`)} >/dev/null`);
      const client = s.name === 'pier' ? `node ${s.argv[0]}` : 'podman';
      remote.push(`${client} --url unix://${sock}`);
    }
    const runs = ['--warmup', '2', '--runs', process.env.BENCH_RUNS ?? '10'];
    const rows: Row[] = [];
    const both = (what: string, args: string, target: number) => {
      const [pier, podman] = hyperfine(work, what.replace(/\W+/g, '-'), remote.map((r) => `${r} ${args}`), runs);
      rows.push({ what, pier, podman, target });
    };
    both('remote ps -a (21 containers)', 'ps -a', NaN);
    both('remote images', 'images', NaN);
    both('remote run --rm IMG true', `run --rm --network none ${ULIMITS} localhost/busybox true`, NaN);
    both('remote exec CTR true', 'exec exec-target true', NaN);
    printTable(rows);
  } finally {
    for (const c of children) c.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 1500));
    cleanup();
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
