// Shared by the side-by-side benchmarks: a private store for pier and for podman (runc, cgroupfs,
// file events) under one work dir, shell helpers, hyperfine runs, and the results table.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const env: NodeJS.ProcessEnv = { ...process.env };
delete env.NODE_EXTRA_CA_CERTS;

export interface Side { name: string; argv: string[] }

export interface Bench {
  work: string;
  sides: Side[];
  cmd(s: Side, args: string): string;
  cleanup(): void;
}

/** A work dir with one store per side; podman gets runc (crun refuses this host's hybrid cgroups). */
export function newBench(label: string): Bench {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), `pier-bench-${label}-`));
  const pierBin = path.resolve(__dirname, '..', 'dist', 'pier.js');
  const sides: Side[] = [
    { name: 'pier', argv: [pierBin, '--root', path.join(work, 'pier-root'), '--runroot', path.join(work, 'pier-run')] },
    { name: 'podman', argv: ['podman', '--root', path.join(work, 'podman-root'), '--runroot', path.join(work, 'podman-run'), '--runtime', 'runc', '--cgroup-manager', 'cgroupfs', '--events-backend', 'file'] },
  ];
  const cmd = (s: Side, args: string) => `${s.argv.join(' ')} ${args}`;
  return {
    work, sides, cmd,
    cleanup() {
      for (const s of sides) spawnSync('bash', ['-c', `${cmd(s, 'pod rm -a -f -t 0')} >/dev/null 2>&1; ${cmd(s, 'rm -a -f -t 0')} >/dev/null 2>&1`], { env });
      spawnSync('bash', ['-c', `grep ' ${work}' /proc/mounts | cut -d' ' -f2 | sort -r | xargs -r umount -l`]);
      spawnSync('rm', ['-rf', work]);
    },
  };
}

export function sh(c: string): string {
  const r = spawnSync('bash', ['-c', c], { env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`failed (${r.status}): ${c}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** hyperfine over the commands; their medians in seconds. */
export function hyperfine(work: string, label: string, cmds: string[], extra: string[]): number[] {
  const out = path.join(work, `${label}.json`);
  execFileSync('hyperfine', ['--style', 'basic', '--export-json', out, ...extra, ...cmds], { stdio: 'inherit', env });
  return (JSON.parse(fs.readFileSync(out, 'utf8')).results as { median: number }[]).map((r) => r.median);
}

/**
 * hyperfine in `rounds` alternating rounds (each side's runs spread over the whole bench, so
 * a slow minute of this shared host does not land on one side only); the median of all runs.
 */
export function hyperfineRounds(work: string, label: string, cmds: string[], extra: string[], rounds: number): number[] {
  const times: number[][] = cmds.map(() => []);
  for (let i = 0; i < rounds; i++) {
    const out = path.join(work, `${label}-${i}.json`);
    const order = i % 2 ? [...cmds.keys()].reverse() : [...cmds.keys()];
    execFileSync('hyperfine', ['--style', 'basic', '--export-json', out, ...extra, ...order.map((k) => cmds[k])], { stdio: 'inherit', env });
    const res = JSON.parse(fs.readFileSync(out, 'utf8')).results as { times: number[] }[];
    order.forEach((k, j) => times[k].push(...res[j].times));
  }
  return times.map((t) => {
    const s = [...t].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  });
}

export interface Row { what: string; pier: number; podman: number; target: number; unit?: 's' | 'MiB' }

/** The results as a markdown table: values, pier/podman ratio, target (<=) and whether it is met. */
export function printTable(rows: Row[]): void {
  console.log('\n| benchmark | pier | podman | pier/podman | target | met |');
  console.log('| --- | --- | --- | --- | --- | --- |');
  for (const r of rows) {
    const ratio = r.pier / r.podman;
    const fmt = (v: number) => ((r.unit ?? 's') === 's' ? `${(v * 1000).toFixed(1)} ms` : `${v.toFixed(1)} MiB`);
    const target = isNaN(r.target) ? '-' : `<= ${r.target}x`;
    const met = isNaN(r.target) ? '-' : ratio <= r.target ? 'yes' : 'NO';
    console.log(`| ${r.what} | ${fmt(r.pier)} | ${fmt(r.podman)} | ${ratio.toFixed(2)}x | ${target} | ${met} |`);
  }
}
