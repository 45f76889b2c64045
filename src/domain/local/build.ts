// The in-process build engine: a Builder over the local container engine (RUN steps run through
// the same conmon + OCI runtime path as containers).
import type { BuildEngine, BuildOptions, BuildOutput } from '../build';
import type { LocalContainerEngine } from './containers';

export class LocalBuildEngine implements BuildEngine {
  constructor(private readonly ce: LocalContainerEngine) {}

  async build(opts: BuildOptions, out: BuildOutput): Promise<{ id: string }> {
    const { Builder } = require('../../build/executor') as typeof import('../../build/executor');
    const { emitEvent, eventLogOptions } = require('../../engine/events') as typeof import('../../engine/events');
    const r = await new Builder(this.ce, opts, out).build();
    emitEvent(this.ce.store.runRoot, { Type: 'image', Status: 'build', ID: r.id, Name: opts.tags?.[0] ?? '' }, eventLogOptions(this.ce.cfg.engine));
    return r;
  }
}
