// docker/go-units sizes and durations as podman prints them.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { bytesSize, goHumanSize, humanDuration, humanSize, timeAgo, timeUntil } from '../../src/cli/format/units';

test('humanSize: podman table sizes (3 significant digits, space before the unit)', () => {
  assert.equal(humanSize(11381), '11.4 kB'); // podman images for an 11381-byte image
  assert.equal(humanSize(0), '0 B');
  assert.equal(humanSize(999), '999 B');
  assert.equal(humanSize(1000), '1 kB');
  assert.equal(humanSize(1500), '1.5 kB');
  assert.equal(humanSize(5_830_000), '5.83 MB');
  assert.equal(humanSize(7_340_032), '7.34 MB');
  assert.equal(humanSize(1_234_567_890), '1.23 GB');
  assert.equal(humanSize(999_500), '1e+03 kB'); // go-units' %.3g quirk
});

test('goHumanSize: go-units HumanSizeWithPrecision', () => {
  assert.equal(goHumanSize(11381), '11.38kB');
  assert.equal(goHumanSize(11381, 3), '11.4kB');
  assert.equal(goHumanSize(0), '0B');
  assert.equal(goHumanSize(2_746_000), '2.746MB');
  assert.equal(goHumanSize(1e27), '1000YB');
});

test('bytesSize: binary units', () => {
  assert.equal(bytesSize(0), '0B');
  assert.equal(bytesSize(1023), '1023B');
  assert.equal(bytesSize(1024), '1KiB');
  assert.equal(bytesSize(1536), '1.5KiB');
  assert.equal(bytesSize(44 * 1024), '44KiB');
  assert.equal(bytesSize(17.5 * 1024 * 1024), '17.5MiB');
  assert.equal(bytesSize(1024 ** 3 * 2.25), '2.25GiB');
});

test('humanDuration: go-units HumanDuration thresholds', () => {
  const s = 1000, m = 60 * s, h = 60 * m, d = 24 * h;
  assert.equal(humanDuration(0), 'Less than a second');
  assert.equal(humanDuration(999), 'Less than a second');
  assert.equal(humanDuration(-5 * s), 'Less than a second');
  assert.equal(humanDuration(1 * s), '1 second');
  assert.equal(humanDuration(59 * s), '59 seconds');
  assert.equal(humanDuration(60 * s), 'About a minute');
  assert.equal(humanDuration(119 * s), 'About a minute');
  assert.equal(humanDuration(2 * m), '2 minutes');
  assert.equal(humanDuration(59 * m + 59 * s), '59 minutes');
  assert.equal(humanDuration(h), 'About an hour');
  assert.equal(humanDuration(1.49 * h), 'About an hour');
  assert.equal(humanDuration(1.5 * h), '2 hours');
  assert.equal(humanDuration(47 * h), '47 hours');
  assert.equal(humanDuration(47.5 * h), '2 days');
  assert.equal(humanDuration(13 * d), '13 days');
  assert.equal(humanDuration(14 * d), '2 weeks');
  assert.equal(humanDuration(59 * d), '8 weeks');
  assert.equal(humanDuration(60 * d), '2 months');
  assert.equal(humanDuration(729 * d), '24 months');
  assert.equal(humanDuration(730 * d), '2 years');
  assert.equal(humanDuration(3650 * d), '10 years');
});

test('timeAgo and timeUntil', () => {
  const now = Date.UTC(2024, 5, 1, 12, 0, 0);
  assert.equal(timeAgo(new Date(now - 3 * 3600_000), now), '3 hours ago');
  assert.equal(timeAgo(now - 400, now), 'Less than a second ago');
  assert.equal(timeAgo(new Date(now - 3 * 86400_000), new Date(now)), '3 days ago');
  assert.equal(timeUntil(now + 90_000, now), 'About a minute');
  assert.equal(timeUntil(new Date(now + 10 * 86400_000), now), '10 days');
  // Defaults to the current time.
  assert.equal(timeAgo(new Date(Date.now() - 5 * 60_000)), '5 minutes ago');
});
