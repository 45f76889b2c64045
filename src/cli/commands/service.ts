// `pier system service`: the REST API service (Docker-compatible and Libpod APIs).
import { CommandDef } from '../parser';
import { Ctx } from '../context';
import { UsageError } from '../../util/errors';

export const serviceCommand: CommandDef = {
  name: 'service',
  summary: 'Run API service',
  description: `Run an API service

Enable a listening service for API access to Pier commands. The service answers the Docker-compatible
API and the Libpod API on the same socket. Without URI it listens on a socket passed by systemd
(LISTEN_FDS), else on unix:///run/pier/pier.sock (root) or unix://$XDG_RUNTIME_DIR/pier/pier.sock.`,
  usage: '[options] [URI]',
  example: 'pier system service --time 0 unix:///tmp/pier.sock\npier system service --time 0 tcp://localhost:8888',
  maxArgs: 1,
  flags: [
    { name: 'time', short: 't', type: 'int', default: 5, help: 'Time until the service session expires in seconds.  Use 0 to disable the timeout' },
    { name: 'cors', type: 'string', help: 'Set CORS Headers' },
  ],
  async run(ctx: Ctx, args, opts) {
    const time = Number(opts.time);
    if (!Number.isInteger(time) || time < 0) throw new UsageError(`invalid argument "${opts.time}" for "-t, --time" flag`);
    const { ApiService } = require('../../api/server') as typeof import('../../api/server');
    const service = new ApiService(ctx.engines, ctx.cfg, { uri: args[0], idleSeconds: time, cors: opts.cors as string | undefined });
    await service.listen();
    const stop = () => { void service.close(); };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
    await service.wait();
    return 0;
  },
};
