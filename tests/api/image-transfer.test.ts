// Images through the Docker CLI against pier's socket: push to and pull from a real registry,
// save and load tarballs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { TestStore, busyboxStore } from '../helpers/cli';
import { startService, Service } from '../helpers/api';
import { startRegistry, Registry } from '../fixtures/registry';

let s: TestStore;
let svc: Service;
let reg: Registry;

const docker = (args: string[]) => {
  const r = spawnSync('docker', args, { env: { ...process.env, DOCKER_HOST: `unix://${svc.socket}` }, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
};

before(async () => {
  s = await busyboxStore();
  svc = await startService(s);
  reg = await startRegistry();
});
after(async () => {
  await svc.stop();
  await reg.stop();
  s.cleanup();
});

test('docker push to a registry, rmi, docker pull back: the same image', () => {
  const id = s.ok(['image', 'inspect', '--format', '{{.Id}}', 'localhost/busybox']).trim();
  const ref = `${reg.host}/pushed/busybox:1`;
  assert.equal(docker(['tag', 'localhost/busybox', ref]).code, 0);
  const push = docker(['push', ref]);
  assert.equal(push.code, 0, push.stdout + push.stderr);
  assert.match(push.stdout, /digest: sha256:[0-9a-f]{64}/);
  assert.equal(docker(['rmi', ref]).code, 0);
  const fresh = new TestStore();
  try {
    fresh.ok(['pull', '-q', '--tls-verify=false', ref]);
    assert.equal(fresh.ok(['image', 'inspect', '--format', '{{.Id}}', ref]).trim(), id);
  } finally {
    fresh.cleanup();
  }
  const pull = docker(['pull', ref]);
  assert.equal(pull.code, 0, pull.stdout + pull.stderr);
  assert.equal(s.ok(['image', 'inspect', '--format', '{{.Id}}', ref]).trim(), id);
  const missing = docker(['push', `${reg.host}/nothing:here`]);
  assert.notEqual(missing.code, 0);
});

test('docker save and docker load round-trip a tarball', () => {
  const tar = path.join(s.dir, 'saved.tar');
  const save = docker(['save', '-o', tar, 'localhost/busybox']);
  assert.equal(save.code, 0, save.stderr);
  assert.ok(fs.statSync(tar).size > 100_000);
  const other = new TestStore();
  try {
    other.ok(['load', '-q', '-i', tar]);
    assert.match(other.ok(['images', '--format', '{{.Repository}}']), /localhost\/busybox/);
  } finally {
    other.cleanup();
  }
  s.ok(['tag', 'localhost/busybox', 'localhost/toload:v']);
  const tar2 = path.join(s.dir, 'toload.tar');
  assert.equal(docker(['save', '-o', tar2, 'localhost/toload:v']).code, 0);
  s.ok(['rmi', 'localhost/toload:v']);
  const load = docker(['load', '-i', tar2]);
  assert.equal(load.code, 0, load.stderr);
  assert.match(load.stdout, /Loaded image: localhost\/toload:v/);
  assert.match(s.ok(['images', '--format', '{{.Repository}}:{{.Tag}}']), /localhost\/toload:v/);
});
