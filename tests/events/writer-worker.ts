// A writer process for the rotation concurrency test: waits for GO_FILE to appear, then
// emits COUNT container events numbered 0..COUNT-1 with rotation at MAX_SIZE.
// Usage: node --import tsx writer-worker.ts RUNROOT WRITER COUNT MAX_SIZE GO_FILE
import * as fs from 'node:fs';
import { emitEvent } from '../../src/engine/events';

const [runRoot, writer, countArg, maxArg, goFile] = process.argv.slice(2);
const count = Number(countArg);
const maxSize = Number(maxArg);

function waitForGo(): Promise<void> {
  return new Promise((resolve) => {
    const check = () => (fs.existsSync(goFile) ? resolve() : setTimeout(check, 2));
    check();
  });
}

void waitForGo().then(() => {
  const id = `${writer}`.padStart(4, '0').padEnd(64, 'f');
  const pad = 'x'.repeat(60);
  for (let seq = 0; seq < count; seq++) {
    emitEvent(runRoot, {
      Type: 'container', Status: 'exec', ID: id, Name: `writer-${writer}`, Image: 'localhost/busybox:latest',
      Attributes: { writer, seq: String(seq), pad },
    }, { maxSize });
  }
});
