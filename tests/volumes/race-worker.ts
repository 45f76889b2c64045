// Helper process for concurrency.test.ts: waits until a common start time, then creates a
// volume and prints "ok" or the error message. Usage: race-worker.ts GRAPHROOT RUNROOT NAME START_MS LABEL
import { createVolume } from '../../src/engine/volumes';

const [graphRoot, runRoot, name, startAt, label] = process.argv.slice(2);
const start = Number(startAt);
while (Date.now() < start) { /* spin: all workers leave this loop within a millisecond or so */ }
try {
  createVolume({ graphRoot, runRoot }, { name, labels: { who: label } });
  process.stdout.write('ok\n');
} catch (e) {
  process.stdout.write(`${(e as Error).message}\n`);
}
