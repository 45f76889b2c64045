// The code-cache name of an invocation (src/cache-key.ts): its command path, global options skipped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cacheKey } from '../../src/cache-key';

test('the command path names the code cache; global option values and arguments do not', () => {
  assert.equal(cacheKey(['run', '--rm', 'busybox', 'true']), 'run');
  assert.equal(cacheKey(['--root', '/x', '--runroot', '/y', 'run', '--network', 'none', 'img']), 'run');
  assert.equal(cacheKey(['--log-level=debug', 'ps', '-a']), 'ps');
  assert.equal(cacheKey(['container', 'ls', '-a']), 'container-ls');
  assert.equal(cacheKey(['system', 'connection', 'add', 'x', 'ssh://h']), 'system-connection-add');
  assert.equal(cacheKey(['-c', 'prod', 'image', 'pull', 'alpine']), 'image-pull');
  assert.equal(cacheKey(['--runtime-flag', 'debug', 'run', 'img']), 'run');
  assert.equal(cacheKey(['--namespace', 'ns1', 'ps', '-a']), 'ps');
  assert.equal(cacheKey(['inspect', 'mycontainer']), 'inspect');
  assert.equal(cacheKey(['--help']), '');
  assert.equal(cacheKey(['run', 'Bad/Name']), 'run');
  assert.equal(cacheKey(['../../etc']), '');
});

test('shell completion (every TAB) has a cache of its own, whatever it completes', () => {
  assert.equal(cacheKey(['__complete', 'ps', '--']), 'complete');
  assert.equal(cacheKey(['--root', '/x', '__completeNoDesc', 'run', 'img', '']), 'complete');
  assert.equal(cacheKey(['run', '__complete']), 'run');
});
