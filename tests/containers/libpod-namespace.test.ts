// The global --namespace (podman's libpod namespaces): containers and pods join the namespace
// the command names, a command given one sees only that namespace's (names stay unique across
// all of them; naming another's is podman's mismatch error), and without one it sees every
// namespace's. Real runc + conmon; local only (podman-remote has no --namespace).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TestStore, busyboxStore } from '../helpers/cli';
import { startService } from '../helpers/api';

let s: TestStore;
const IMG = 'localhost/busybox';

before(async () => { s = await busyboxStore(); });
after(() => {
  s.run(['pod', 'rm', '-a', '-f', '-t', '0']);
  s.run(['rm', '-a', '-f', '-t', '0']);
  s.cleanup();
});

const ns = (namespace: string, args: string[]) => s.run(['--namespace', namespace, ...args]);
const nsOk = (namespace: string, args: string[]) => s.ok(['--namespace', namespace, ...args]);
const names = (out: string) => out.split('\n').filter(Boolean).sort();
const mismatch = (kind: string, id: string, own: string, view: string) =>
  `Error: cannot retrieve ${kind} ${id} as it is part of namespace "${own}" and we are in namespace "${view}": target is in a different namespace\n`;

test('ps, inspect, exists, start and rm see only the namespace given; without one, every namespace', () => {
  const a = nsOk('nsa', ['create', '--name', 'v-a', '--network', 'none', IMG, 'true']).trim();
  const b = nsOk('nsb', ['create', '--name', 'v-b', '--network', 'none', IMG, 'true']).trim();
  s.ok(['create', '--name', 'v-none', '--network', 'none', IMG, 'true']);
  assert.deepEqual(names(s.ok(['ps', '-a', '--format', '{{.Names}}'])), ['v-a', 'v-b', 'v-none']);
  assert.deepEqual(names(nsOk('nsa', ['ps', '-a', '--format', '{{.Names}}'])), ['v-a']);
  assert.equal(nsOk('nsa', ['ps', '-a', '-q', '--no-trunc']), `${a}\n`);
  assert.equal(s.ok(['inspect', '--format', '{{.Namespace}}', 'v-a']), 'nsa\n');
  assert.equal(s.ok(['container', 'inspect', '--format', '[{{.Namespace}}]', 'v-none']), '[]\n');
  // Shell completion offers the namespace's containers.
  const completed = (words: string[]) => names(s.ok(['__completeNoDesc', ...words, 'rm', ''])).filter((w) => w.startsWith('v-'));
  assert.deepEqual(completed(['--namespace', 'nsa']), ['v-a']);
  assert.deepEqual(completed([]), ['v-a', 'v-b', 'v-none']);
  // Named by name or full ID from another namespace: podman's error, nothing printed, exit 125.
  for (const args of [['inspect', 'v-a'], ['container', 'inspect', a], ['start', 'v-a'], ['rm', 'v-a'], ['container', 'exists', 'v-a']]) {
    const r = ns('nsb', args);
    assert.equal(r.code, 125, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stderr, mismatch('container', a, 'nsa', 'nsb'), args.join(' '));
    assert.equal(r.stdout, '');
  }
  // The default namespace's containers are another namespace's too.
  assert.match(ns('nsa', ['inspect', 'v-none']).stderr, /as it is part of namespace "" and we are in namespace "nsa"/);
  // An ID prefix only matches the namespace's own containers.
  const prefix = ns('nsb', ['container', 'inspect', a.slice(0, 12)]);
  assert.equal(prefix.stderr, `Error: inspecting object: no such container ${a.slice(0, 12)}\n`);
  assert.equal(ns('nsb', ['container', 'exists', 'v-nothing']).code, 1);
  // rm -a and container prune act on their namespace only.
  assert.equal(nsOk('nsb', ['rm', '-a']), `${b}\n`);
  nsOk('nsb', ['container', 'prune', '-f']);
  assert.deepEqual(names(s.ok(['ps', '-a', '--format', '{{.Names}}'])), ['v-a', 'v-none']);
  // Its own namespace starts and removes it (the state persists across commands).
  nsOk('nsa', ['start', '--attach', 'v-a']);
  assert.equal(nsOk('nsa', ['inspect', '--format', '{{.State.Status}} {{.Namespace}}', 'v-a']), 'exited nsa\n');
  assert.equal(nsOk('nsa', ['rm', 'v-a']), 'v-a\n');
  s.ok(['rm', 'v-none']);
});

test('names are unique across namespaces; --replace of another namespace\'s container is refused', () => {
  const id = nsOk('nsa', ['create', '--name', 'u-one', '--network', 'none', IMG, 'true']).trim();
  const taken = ns('nsb', ['create', '--name', 'u-one', '--network', 'none', IMG, 'true']);
  assert.equal(taken.code, 125);
  assert.equal(taken.stderr, `Error: creating container storage: the container name "u-one" is already in use by ${id}. You have to remove that container to be able to reuse that name: that name is already in use\n`);
  const replace = ns('nsb', ['create', '--replace', '--name', 'u-one', '--network', 'none', IMG, 'true']);
  assert.equal(replace.stderr, mismatch('container', id, 'nsa', 'nsb'));
  assert.equal(s.ok(['inspect', '--format', '{{.Id}}', 'u-one']), `${id}\n`, 'the container is still there');
  s.ok(['rm', 'u-one']);
});

test('a running container\'s exit command and healthcheck monitor keep the namespace; its cleanup acts in it', async () => {
  const id = nsOk('nsa', ['run', '-d', '--name', 'r-a', '--network', 'none', '--health-cmd', 'true', '--health-interval', '1s', IMG, 'sleep', '300']).trim();
  const conmon = Number(s.ok(['inspect', '--format', '{{.State.ConmonPid}}', 'r-a']));
  const args = fs.readFileSync(`/proc/${conmon}/cmdline`, 'utf8').split('\0');
  const exit = args.flatMap((a, i) => (a === '--exit-command-arg' ? [args[i + 1]] : []));
  assert.deepEqual(exit.slice(exit.indexOf('--namespace'), exit.indexOf('--namespace') + 2), ['--namespace', 'nsa'], exit.join(' '));
  assert.deepEqual(exit.slice(-3), ['container', 'cleanup', id]);
  const monitor = fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p)).map((p) => {
    try { return fs.readFileSync(path.join('/proc', p, 'cmdline'), 'utf8').split('\0'); } catch { return []; }
  }).find((a) => a.includes('monitor') && a.includes(id));
  assert.ok(monitor, 'the healthcheck monitor runs');
  assert.equal(monitor[monitor.indexOf('--namespace') + 1], 'nsa');
  assert.equal(ns('nsb', ['stop', 'r-a']).code, 125);
  assert.deepEqual(names(nsOk('nsa', ['ps', '--format', '{{.Names}}'])), ['r-a']);
  nsOk('nsa', ['rm', '-f', '-t', '0', 'r-a']);
  // --rm: conmon's `container cleanup --namespace nsa` removes it once it exits.
  nsOk('nsa', ['run', '-d', '--rm', '--name', 'r-rm', '--network', 'none', IMG, 'true']);
  let exists = 0;
  for (let i = 0; i < 100 && exists === 0; i++) {
    await new Promise((r) => setTimeout(r, 100));
    exists = nsOk('nsa', ['ps', '-a', '-q', '--filter', 'name=r-rm']) ? 0 : 1;
  }
  assert.equal(exists, 1, 'the exited --rm container was removed by its cleanup');
});

test('pods: created in the namespace with their containers; other namespaces do not see them', () => {
  const pod = nsOk('nsa', ['pod', 'create', '--name', 'p-a']).trim();
  nsOk('nsa', ['create', '--pod', 'p-a', '--name', 'p-a-ctr', IMG, 'true']);
  assert.equal(nsOk('nsa', ['pod', 'inspect', '--format', '{{.Namespace}}', 'p-a']), 'nsa\n');
  assert.equal(JSON.parse(s.ok(['pod', 'inspect', 'p-a'])).Namespace, 'nsa');
  const infra = s.ok(['pod', 'inspect', '--format', '{{.InfraContainerID}}', 'p-a']).trim();
  assert.equal(s.ok(['inspect', '--format', '{{.Namespace}}', infra, 'p-a-ctr']), 'nsa\nnsa\n');
  assert.equal(s.ok(['pod', 'ps', '--format', '{{.Name}} {{.Namespace}}']), 'p-a nsa\n');
  assert.equal(nsOk('nsb', ['pod', 'ps', '-q']), '');
  for (const args of [['pod', 'inspect', 'p-a'], ['pod', 'exists', 'p-a'], ['pod', 'rm', '-f', 'p-a'], ['create', '--pod', 'p-a', IMG, 'true']]) {
    const r = ns('nsb', args);
    assert.equal(r.code, 125, args.join(' '));
    assert.equal(r.stderr, mismatch('pod', pod, 'nsa', 'nsb'), args.join(' '));
  }
  nsOk('nsb', ['pod', 'rm', '-a', '-f']);
  nsOk('nsb', ['pod', 'prune', '-f']);
  // Without a namespace the pod is found, but a container made there is not in its namespace.
  const join = s.run(['create', '--pod', 'p-a', '--name', 'p-none', IMG, 'true']);
  assert.equal(join.code, 125);
  assert.match(join.stderr, new RegExp(`^Error: container [0-9a-f]{64} is in namespace  and pod ${pod} is in namespace nsa: target is in a different namespace\n$`));
  assert.equal(s.run(['container', 'exists', 'p-none']).code, 1, 'nothing was made');
  const taken = ns('nsb', ['pod', 'create', '--name', 'p-a']);
  assert.equal(taken.stderr, 'Error: adding pod to state: name "p-a" is in use: pod already exists\n');
  assert.deepEqual(names(nsOk('nsa', ['ps', '-a', '--format', '{{.Names}}'])), [`${pod.slice(0, 12)}-infra`, 'p-a-ctr']);
  nsOk('nsa', ['pod', 'rm', 'p-a']);
});

test('containers.conf [engine] namespace is the default; the remote client has no --namespace', () => {
  const conf = path.join(s.dir, 'containers.conf');
  fs.writeFileSync(conf, '[engine]\nnamespace = "nsconf"\n');
  const env = { CONTAINERS_CONF: conf };
  s.ok(['create', '--name', 'c-conf', '--network', 'none', IMG, 'true'], { env });
  s.ok(['create', '--name', 'c-plain', '--network', 'none', IMG, 'true']);
  assert.equal(s.ok(['inspect', '--format', '{{.Namespace}}', 'c-conf']), 'nsconf\n');
  assert.equal(s.ok(['ps', '-a', '--format', '{{.Names}}'], { env }), 'c-conf\n');
  assert.equal(s.ok(['--namespace', 'nsother', 'ps', '-a', '--format', '{{.Names}}'], { env }), '');
  s.ok(['rm', 'c-conf', 'c-plain']);
  for (const args of [['--url', 'unix:///nonexistent.sock', '--namespace', 'nsa', 'ps'], ['--remote', '--namespace', 'nsa', 'ps']]) {
    const r = s.run(args);
    assert.equal(r.code, 125);
    assert.equal(r.stderr, 'Error: unknown flag: --namespace\n');
  }
  assert.doesNotMatch(s.ok(['--remote', '--help']), /--namespace/);
  assert.match(s.ok(['--help']), /--namespace string +Set the libpod namespace, used to create separate views of the containers and pods on the system\n/);
});

test('a service started with --namespace serves that namespace\'s view to remote clients', async () => {
  const own = nsOk('nsa', ['create', '--name', 's-a', '--network', 'none', IMG, 'true']).trim();
  const other = s.ok(['create', '--name', 's-none', '--network', 'none', IMG, 'true']).trim();
  const svc = await startService(s, { extraArgs: ['--namespace', 'nsa'] });
  try {
    const remote = (args: string[]) => s.run(['--url', `unix://${svc.socket}`, ...args]);
    assert.equal(remote(['ps', '-a', '-q', '--no-trunc']).stdout, `${own}\n`);
    // As podman-remote: inspect and rm look the container up (the service's error); exists is its answer's status.
    for (const args of [['container', 'inspect', 's-none'], ['inspect', 's-none'], ['rm', 's-none']]) {
      const r = remote(args);
      assert.deepEqual([r.code, r.stderr, r.stdout], [125, mismatch('container', other, '', 'nsa'), ''], args.join(' '));
    }
    const exists = remote(['container', 'exists', 's-none']);
    assert.deepEqual([exists.code, exists.stderr], [1, '']);
    const made = remote(['create', '--name', 's-remote', IMG, 'true']);
    assert.equal(made.code, 0, made.stderr);
    assert.equal(s.ok(['inspect', '--format', '{{.Namespace}}', 's-remote']), 'nsa\n');
  } finally {
    await svc.stop();
  }
  s.ok(['rm', 's-a', 's-none', 's-remote']);
});
