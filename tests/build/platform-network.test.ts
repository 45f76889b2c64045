// `pier build --platform` (FROM --platform, the automatic platform ARGs, pulling a platform from
// a real registry's multi-arch index, a local image of another platform counting as missing) and
// RUN's network (--network on the command line, RUN --network=none|host|default).
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TestStore, busyboxStore } from '../helpers/cli';
import { buildHelpers } from './helpers';
import { startRegistry, Registry } from '../fixtures/registry';
import { multiarchIndex, pushImage } from '../fixtures/images';

let s: TestStore;
let reg: Registry;
const { context, build, runIn } = buildHelpers(() => s, ['--tls-verify=false']);



const inspect = (img: string) => JSON.parse(s.ok(['image', 'inspect', img]))[0];

before(async () => {
  s = await busyboxStore();
  reg = await startRegistry({ auth: 'none' });
  await pushImage(reg, 'lib/multiarch', 'latest', await multiarchIndex('oci'));
});
after(async () => {
  s.run(['rm', '-a', '-f', '-t', '0']);
  s.cleanup();
  await reg?.stop();
});

describe('build --platform', () => {
  test('the platform ARGs: global for FROM, visible in a stage once declared; FROM --platform=$BUILDPLATFORM', () => {
    const dir = context({
      'Containerfile': [
        'FROM --platform=$BUILDPLATFORM localhost/busybox AS tools',
        'ARG TARGETPLATFORM',
        'ARG TARGETARCH',
        'ARG BUILDARCH',
        'RUN echo "$TARGETPLATFORM $TARGETARCH on $BUILDARCH" > /cross',
        'FROM scratch',
        'COPY --from=tools /cross /cross',
      ].join('\n'),
    });
    const r = build(dir, ['-t', 'cross-arm64', '--platform', 'linux/arm64']);
    assert.match(r.out, /STEP 1\/5: FROM localhost\/busybox AS tools/);
    const img = inspect('cross-arm64');
    assert.equal(img.Architecture, 'arm64', 'FROM scratch takes the target platform');
    assert.equal(img.Os, 'linux');
    const check = context({ 'Containerfile': 'FROM localhost/busybox\nCOPY --from=cross-arm64 /cross /cross\n' });
    build(check, ['-t', 'cross-check']);
    assert.equal(runIn('cross-check', 'cat', '/cross'), 'linux/arm64 arm64 on amd64\n');
    // Without --platform the target is the host.
    const host = context({ 'Containerfile': 'FROM localhost/busybox\nARG TARGETPLATFORM\nARG TARGETVARIANT\nRUN echo "[$TARGETPLATFORM][$TARGETVARIANT]" > /t\n' });
    build(host, ['-t', 'host-target']);
    assert.equal(runIn('host-target', 'cat', '/t'), '[linux/amd64][]\n');
    // An undeclared platform ARG is not in a stage's RUN environment.
    const undeclared = context({ 'Containerfile': 'FROM localhost/busybox\nRUN echo "[$TARGETARCH]" > /t\n' });
    build(undeclared, ['-t', 'undeclared']);
    assert.equal(runIn('undeclared', 'cat', '/t'), '[]\n');
  });

  test('--platform pulls the platform from a multi-arch index; a local image of another platform counts as missing', () => {
    const ref = `${reg.host}/lib/multiarch:latest`;
    const dir = context({ 'Containerfile': `FROM ${ref}\nCOPY hello /hello\nLABEL which=arm\n`, hello: 'hi\n' });
    build(dir, ['-t', 'on-arm', '--platform', 'linux/arm/v7']);
    let img = inspect('on-arm');
    assert.equal(img.Architecture, 'arm');
    assert.equal(img.Variant ?? JSON.parse(s.ok(['image', 'inspect', '--format', '{{json .}}', 'on-arm'])).Variant, 'v7');
    // The arm64 child: the local (arm) image does not fit, so it is pulled; a stage reads its file.
    const two = context({ 'Containerfile': [
      `FROM --platform=linux/arm64 ${ref} AS arm64`,
      'FROM localhost/busybox',
      'COPY --from=arm64 /etc/arch /arch',
    ].join('\n') });
    const r = build(two, ['-t', 'arch-files']);
    assert.match(r.out, /Copying|Writing|Getting/i, 'the arm64 image was pulled');
    assert.equal(runIn('arch-files', 'cat', '/arch'), 'linux/arm64/v8\n');
    const first = context({ 'Containerfile': 'FROM localhost/busybox\nCOPY --from=on-arm /etc/arch /arch\n' });
    build(first, ['-t', 'arm-files']);
    assert.equal(runIn('arm-files', 'cat', '/arch'), 'linux/arm/v7\n');
    // With --pull=never a local image of another platform is not used.
    const never = s.run(['build', '--pull=never', '--platform', 'linux/s390x', context({ 'Containerfile': 'FROM localhost/busybox\n' })]);
    assert.equal(never.code, 125);
    assert.match(never.stderr, /localhost\/busybox: image not known for platform linux\/s390x/);
    img = inspect('localhost/busybox');
    assert.equal(img.Architecture, 'amd64');
  });

  test('bad --platform values are refused', () => {
    const dir = context({ 'Containerfile': 'FROM localhost/busybox\n' });
    const bad = s.run(['build', '--platform', 'amd64', dir]);
    assert.equal(bad.code, 125);
    assert.match(bad.stderr, /invalid platform syntax for --platform="amd64"/);
    const many = s.run(['build', '--platform', 'linux/amd64,linux/arm64', dir]);
    assert.equal(many.code, 125);
    assert.match(many.stderr, /several platforms/);
  });
});

describe('RUN networks', () => {
  // Interfaces a RUN step sees, from /proc/net/dev (busybox has no ip).
  const ifaces = 'tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " " | sort | tr "\\n" " "';

  test('RUN --network=none has only lo; the default is the host network; --network none for the whole build', () => {
    const hostIfaces = fs.readFileSync('/proc/net/dev', 'utf8').split('\n').slice(2).map((l) => l.split(':')[0].trim()).filter(Boolean);
    assert.ok(hostIfaces.length > 1, 'the host has more than lo');
    const dir = context({ 'Containerfile': [
      'FROM localhost/busybox',
      `RUN --network=none ${ifaces} > /none`,
      `RUN ${ifaces} > /default`,
      `RUN --network=host ${ifaces} > /host`,
    ].join('\n') });
    build(dir, ['-t', 'nets']);
    assert.equal(runIn('nets', 'cat', '/none').trim(), 'lo');
    assert.ok(runIn('nets', 'cat', '/default').trim().split(' ').length > 1, 'the host network by default');
    assert.ok(runIn('nets', 'cat', '/host').trim().split(' ').length > 1);
    // --network none: RUN --network=default (and no flag) follows it.
    const all = build(dir, ['-t', 'nets-none', '--network', 'none', '--no-cache']);
    assert.doesNotMatch(all.out, /Using cache/);
    assert.equal(runIn('nets-none', 'cat', '/default').trim(), 'lo');
    assert.ok(runIn('nets-none', 'cat', '/host').trim().split(' ').length > 1, 'RUN --network=host wins over --network none');
    assert.equal(s.ok(['ps', '-a', '--external', '-q']), '');
  });

  test('RUN --network with another value is an error naming file and line', () => {
    const dir = context({ 'Containerfile': 'FROM localhost/busybox\nRUN --network=bogus true\n' });
    const r = s.run(['build', dir]);
    assert.equal(r.code, 125);
    assert.match(r.stderr, /Containerfile:2: RUN --network=bogus: unsupported network mode/);
    assert.equal(s.ok(['ps', '-a', '--external', '-q']), '');
  });
});
