// Errors as the APIs answer them: Docker's {"message": "..."} and Libpod's
// {"cause": "...", "message": "...", "response": N}, with the engine's error mapped to a status code.
import type * as http from 'node:http';
import { PierError, errorMessage } from '../util/errors';

/** An error with an explicit HTTP status (bad JSON, unknown endpoint, wrong version...). */
export class ApiError extends Error {
  /** cause: Libpod's `cause` when it is not the one the status and message suggest. */
  constructor(readonly status: number, message: string, readonly libpodCause?: string) {
    super(message);
    this.name = 'ApiError';
  }
}

/** The HTTP status an error answers with: ApiError's own, PierError's httpStatus, else 500. */
export function errorStatus(err: unknown): number {
  if (err instanceof ApiError) return err.status;
  if (err instanceof PierError) return err.httpStatus;
  return 500;
}

/** Libpod's "cause": the general kind of the error, as podman's errors carry it. */
function cause(status: number, msg: string): string {
  if (status === 404) {
    if (/: no such secret$/.test(msg)) return 'no such secret';
    return /image/i.test(msg) ? 'image not known' : /volume/i.test(msg) ? 'no such volume' : /network/i.test(msg) ? 'network not found' : /pod/i.test(msg) ? 'no such pod' : 'no such container';
  }
  if (status === 409) return /: ([a-z]+ already exists)$/.exec(msg)?.[1] ?? 'container state improper';
  if (status === 400) return 'bad parameter';
  const kind = /: (secret name in use|invalid secret name|target is in a different namespace)$/.exec(msg);
  if (kind) return kind[1];
  return msg;
}

export function errorBody(err: unknown, libpod: boolean): { status: number; body: Record<string, unknown> } {
  const status = errorStatus(err);
  const message = errorMessage(err);
  // pier_exit_code (an extension): the exit code pier's CLI gives this error (126, 127...), so the
  // remote client exits as the local one would.
  const exit = err instanceof PierError && err.exitCode !== 125 ? { pier_exit_code: err.exitCode } : {};
  return { status, body: libpod ? { cause: (err instanceof ApiError && err.libpodCause) || cause(status, message), message, response: status, ...exit } : { message } };
}

/** Sends an error unless the response already started (then the connection is cut). */
export function sendError(res: http.ServerResponse, err: unknown, libpod: boolean): void {
  const { status, body } = errorBody(err, libpod);
  if (res.headersSent) { res.destroy(); return; }
  const text = JSON.stringify(body) + '\n';
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}
