// Help texts and command wiring of the container commands (through the real parser).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { parse, helpText, CommandDef } from '../../src/cli/parser';
import { containerCommands, containerGroup } from '../../src/cli/commands/containers';

const root: CommandDef = { name: 'pier', summary: 'Manage pods, containers and images', subcommands: [containerGroup(), ...containerCommands()] };

function help(...path: string[]): string {
  const r = parse(root, [...path, '--help']);
  assert.equal(r.help, true);
  return helpText(root, r.path);
}

function optionLines(text: string): string[] {
  return text.split('\n').slice(text.split('\n').indexOf('Options:') + 1).filter((l) => l.trim());
}

describe('container command help', () => {
  test('top-level commands and the container group', () => {
    const names = containerCommands().map((c) => c.name).sort();
    assert.deepEqual(names, ['attach', 'create', 'exec', 'init', 'kill', 'logs', 'pause', 'port', 'ps', 'rename', 'restart', 'rm', 'run', 'start', 'stop', 'unpause', 'wait']);
    const g = help('container');
    for (const n of ['attach', 'cleanup', 'create', 'exec', 'exists', 'init', 'inspect', 'kill', 'list', 'logs', 'pause', 'port', 'prune', 'ps', 'rename', 'restart', 'rm', 'run', 'start', 'stop', 'unpause', 'wait']) {
      assert.match(g, new RegExp(`^  ${n} +\\S`, 'm'), n);
    }
    assert.match(g, /^  ps +List containers$/m);
    assert.match(g, /^  exists +Check if a container exists in local storage$/m);
  });

  test('run: podman\'s layout, flags and value names', () => {
    const h = help('run');
    assert.ok(h.startsWith('Run a command in a new container\n\nDescription:\n  Runs a command in a new container from the given image\n\nUsage:\n  pier run [options] IMAGE [COMMAND [ARG...]]\n'));
    const opts = optionLines(h);
    const line = (flag: string) => opts.find((l) => l.includes(flag + ' ') || l.endsWith(flag)) ?? '';
    assert.match(line('--detach'), /^ {2}-d, --detach +Run container in background and print container ID$/);
    assert.match(line('--memory'), /^ {2}-m, --memory <number>\[<unit>\] +Memory limit \(format: <number>\[<unit>\], where unit = b \(bytes\), k \(kibibytes\), m \(mebibytes\), or g \(gibibytes\)\)$/);
    assert.match(line('--cpu-shares'), /^ {2}-c, --cpu-shares uint +CPU shares \(relative weight\)$/);
    assert.match(line('--cpus'), /--cpus float +Number of CPUs/);
    assert.match(line('--env'), /^ {2}-e, --env stringArray +Set environment variables in container \(default \[PATH=/);
    assert.match(line('--cap-add'), /--cap-add strings +Add capabilities to the container$/);
    assert.match(line('--pids-limit'), /--pids-limit int +Tune container pids limit \(set -1 for unlimited\) \(default 2048\)$/);
    assert.match(line('--pull'), /--pull string +Pull image policy \(default "missing"\)$/);
    assert.match(line('--sig-proxy'), /--sig-proxy +Proxy received signals to the process \(default true\)$/);
    assert.match(line('--hostname'), /^ {2}-h, --hostname string +Set container hostname$/);
    assert.match(line('--help'), /^ {6}--help\s*$/);
    assert.ok(!opts.some((l) => /--net /.test(l)), '--net is hidden');
    // Every line is aligned on one column.
    const helpCol = (l: string) => /^(\s+\S.*?\S {3,})\S/.exec(l)?.[1].length;
    const col = helpCol(opts[0]);
    for (const l of opts) if (!/--help\s*$/.test(l)) assert.equal(helpCol(l), col, l);
  });

  test('create differs from run exactly where podman does', () => {
    const flags = (h: string) => new Set(optionLines(h).map((l) => /--([a-z0-9-]+)/.exec(l)![1]));
    const run = flags(help('run'));
    const create = flags(help('create'));
    assert.deepEqual([...run].filter((f) => !create.has(f)).sort(), ['detach', 'detach-keys', 'passwd', 'preserve-fds', 'rmi', 'sig-proxy']);
    assert.deepEqual([...create].filter((f) => !run.has(f)), ['init-ctr']);
    assert.match(help('create'), /^Create but do not start a container\n/);
  });

  test('ps, stop, rm, logs, exec help', () => {
    const ps = help('ps');
    assert.match(ps, /^ {2}-n, --last int +Print the n last created containers \(all states\) \(default -1\)$/m);
    assert.match(ps, /^ {6}--sort choice +Sort output by: command, created, id, image, names, runningfor, size, status$/m);
    assert.match(ps, /^ {6}--noheading +Do not print headers$/m);
    assert.match(help('container', 'ls'), /Aliases:\n {2}list, ls\n/);
    assert.match(help('container', 'ls'), /pier container list -a/);
    assert.match(help('stop'), /^ {2}-t, --time uint +Seconds to wait for stop before killing the container \(default 10\)$/m);
    assert.match(help('rm'), /^ {2}-v, --volumes +Remove anonymous volumes associated with the container$/m);
    assert.match(help('rm'), /^ {6}--filter strings +Filter output based on conditions given$/m);
    assert.match(help('kill'), /^ {2}-s, --signal string +Signal to send to the container \(default "KILL"\)$/m);
    assert.match(help('logs'), /^ {6}--tail int +Output the specified number of LINES at the end of the logs\. {2}Defaults to -1, which prints all lines \(default -1\)$/m);
    assert.match(help('exec'), /Usage:\n {2}pier exec \[options\] CONTAINER \[COMMAND \[ARG\.\.\.\]\]\n/);
    assert.match(help('wait'), /^ {2}-i, --interval string +Time Interval to wait before polling for completion \(default "250ms"\)$/m);
    assert.match(help('container', 'inspect'), /^ {2}-f, --format string +Format the output to a Go template or json \(default "json"\)$/m);
  });

  test('run and exec stop flag parsing at the first argument', () => {
    const r = parse(root, ['run', '--rm', 'img', 'ls', '-l', '--help']);
    assert.equal(r.help, false);
    assert.deepEqual(r.args, ['img', 'ls', '-l', '--help']);
    const e = parse(root, ['exec', '-it', 'ctr', 'sh', '-c', 'echo -n']);
    assert.deepEqual(e.args, ['ctr', 'sh', '-c', 'echo -n']);
    assert.equal(e.opts.tty, true);
    const ps = parse(root, ['ps', '-a', '--filter', 'status=exited', '--format', '{{.ID}}']);
    assert.deepEqual(ps.opts.filter, ['status=exited']);
  });
});

test('group help pads command names as cobra does: to the longest name, at least 11 characters, then one space', () => {
  const lines = help('container').split('\n');
  assert.ok(lines.includes('  attach      Attach to a running container'), lines.join('\n'));
  assert.ok(lines.includes("  unmount     Unmounts working container's root filesystem"));
  const wide: CommandDef = { name: 'g', summary: 'group', subcommands: [
    { name: 'a', summary: 'short', run: async () => 0 }, { name: 'a-very-long-name', summary: 'long', run: async () => 0 }] };
  const text = helpText({ name: 'pier', summary: 'x', subcommands: [wide] }, parse({ name: 'pier', summary: 'x', subcommands: [wide] }, ['g', '--help']).path);
  assert.match(text, /^ {2}a {16}short$/m);
  assert.match(text, /^ {2}a-very-long-name long$/m);
});
