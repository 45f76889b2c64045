// The secrets endpoints of the service: Libpod (/libpod/secrets/...) and Docker-compatible
// (/secrets), with the status codes and error bodies podman 4.3.1 answers (compared with curl
// against podman's service), and a Libpod container create with SpecGenerator secrets.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { TestStore } from '../helpers/cli';
import { Service, openService, closeService, request } from '../helpers/api';

const LP = '/v4.3.1/libpod';
const RAW = { 'Content-Type': 'application/octet-stream' };

describe('secrets API', () => {
  let store: TestStore;
  let svc: Service;
  before(async () => ({ store, svc } = await openService()));
  after(() => closeService(store, svc));

  test('Libpod: create with the data as body, list with filters, inspect, delete; podman\'s errors', async () => {
    let r = await request(svc.socket, 'POST', `${LP}/secrets/create?name=api1`, Buffer.from('apidata'), RAW);
    assert.equal(r.status, 200, r.text);
    const id = r.json().ID;
    assert.match(id, /^[0-9a-f]{25}$/);
    r = await request(svc.socket, 'POST', `${LP}/secrets/create?name=api1`, Buffer.from('x'), RAW);
    assert.equal(r.status, 500);
    assert.deepEqual(r.json(), { cause: 'secret name in use', message: 'api1: secret name in use', response: 500 });
    r = await request(svc.socket, 'POST', `${LP}/secrets/create?name=empty`, undefined, RAW);
    assert.equal(r.status, 500);
    assert.equal(r.json().message, 'secret data must be larger than 0 and less than 512000 bytes');
    r = await request(svc.socket, 'POST', `${LP}/secrets/create?name=api2&labels=${encodeURIComponent('{"a":"b"}')}&driveropts=${encodeURIComponent('{"x":"y"}')}`, Buffer.from('two'), RAW);
    assert.equal(r.status, 200, r.text);

    r = await request(svc.socket, 'GET', `${LP}/secrets/json?filters=${encodeURIComponent('{"name":["api2"]}')}`);
    assert.equal(r.status, 200);
    const [two] = r.json();
    assert.equal(two.Spec.Name, 'api2');
    assert.equal(two.Spec.Driver.Options.x, 'y');
    assert.deepEqual(two.Spec.Labels, { a: 'b' });
    assert.match(two.CreatedAt, /^\d{4}-\d\d-\d\dT[\d:]{8}(\.\d{1,9})?Z$/);
    r = await request(svc.socket, 'GET', `${LP}/secrets/json?filters=${encodeURIComponent('{"bad":["x"]}')}`);
    assert.equal(r.status, 500);
    assert.equal(r.json().message, 'invalid filter "bad"');

    r = await request(svc.socket, 'GET', `${LP}/secrets/api1/json`);
    assert.equal(r.status, 200);
    assert.equal(r.json().ID, id);
    assert.ok(!r.text.includes('apidata'), 'the data is never answered');
    r = await request(svc.socket, 'GET', `${LP}/secrets/nosuch/json`);
    assert.equal(r.status, 404);
    assert.deepEqual(r.json(), { cause: 'no such secret', message: 'no secret with name or id "nosuch": no such secret', response: 404 });

    r = await request(svc.socket, 'DELETE', `${LP}/secrets/api1`);
    assert.equal(r.status, 204);
    r = await request(svc.socket, 'DELETE', `${LP}/secrets/api1`);
    assert.equal(r.status, 404);
  });

  test('Docker-compatible: create (base64 Data), list and inspect with Version, 409 for a taken name, delete', async () => {
    let r = await request(svc.socket, 'POST', '/secrets/create', { Name: 'dk1', Data: Buffer.from('hello').toString('base64'), Labels: { l: '1' } });
    assert.equal(r.status, 200, r.text);
    const id = r.json().ID;
    r = await request(svc.socket, 'POST', '/secrets/create', { Name: 'dk1', Data: 'aGVsbG8=' });
    assert.equal(r.status, 409);
    assert.deepEqual(r.json(), { message: 'dk1: secret name in use' });
    r = await request(svc.socket, 'GET', '/secrets/dk1');
    assert.equal(r.status, 200);
    assert.deepEqual({ ...r.json(), CreatedAt: undefined, UpdatedAt: undefined }, {
      ID: id, CreatedAt: undefined, UpdatedAt: undefined,
      Spec: { Name: 'dk1', Driver: { Name: 'file', Options: { path: `${store.root}/secrets/filedriver` } }, Labels: { l: '1' } }, Version: { Index: 1 },
    });
    r = await request(svc.socket, 'GET', '/v1.41/secrets');
    assert.ok(r.json().some((s: any) => s.ID === id && s.Version.Index === 1));
    assert.equal((await request(svc.socket, 'DELETE', '/secrets/dk1')).status, 204);
    assert.equal((await request(svc.socket, 'GET', '/secrets/dk1')).status, 404);
  });

  test('Libpod container create: SpecGenerator secrets and secret_env', async () => {
    await request(svc.socket, 'POST', `${LP}/secrets/create?name=sg`, Buffer.from('spec data'), RAW);
    const r = await request(svc.socket, 'POST', `${LP}/containers/create`, {
      image: 'localhost/busybox', command: ['sh', '-c', 'cat /etc/sg.conf; echo " $SGV"; stat -c "%a %u" /etc/sg.conf'],
      netns: { nsmode: 'none' }, secrets: [{ Source: 'sg', Target: '/etc/sg.conf', UID: 7, GID: 0, Mode: 0o400 }], secret_env: { SGV: 'sg' },
    });
    assert.equal(r.status, 201, r.text);
    const id = r.json().Id;
    assert.equal(store.ok(['start', '-a', id]), 'spec data spec data\n400 7\n');
    store.ok(['rm', id]);
  });
});
