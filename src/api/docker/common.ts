// Helpers shared by the Docker API's container handlers: the local engine, the container a path
// names (Docker's 404 message), query parameters.
import type { ApiRequest } from '../router';
import type { LocalContainerEngine } from '../../domain/local/containers';
import type { ContainerRecord } from '../../engine/container-store';
import { ApiError } from '../errors';
import { NotFoundError } from '../../util/errors';

export const RUNNING_STATES = ['running', 'paused', 'stopping'];

export function localContainers(r: ApiRequest): LocalContainerEngine {
  return r.engines.containers() as unknown as LocalContainerEngine;
}

/** The container a path names, synced with reality; Docker's 404 message when missing. */
export function containerOf(r: ApiRequest, nameOrId = r.params.id): ContainerRecord {
  try {
    return localContainers(r).lifecycle.get(nameOrId.replace(/^\//, ''));
  } catch (err) {
    if (err instanceof NotFoundError) throw new ApiError(404, `No such container: ${nameOrId}`);
    throw err;
  }
}

/** A boolean query parameter (1/true/True). */
export function qbool(r: ApiRequest, name: string, dflt = false): boolean {
  const v = r.query.get(name);
  if (v === null || v === '') return dflt;
  return v === '1' || v.toLowerCase() === 'true';
}

/** A numeric query parameter; a 400 when it is not a number. */
export function qint(r: ApiRequest, name: string): number | undefined {
  const v = r.query.get(name);
  if (v === null || v === '') return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new ApiError(400, `invalid value for ${name}: ${JSON.stringify(v)}`);
  return n;
}

/** A name as Docker gives it (`app:1` → docker.io/library/app:1, as podman's compat API too); a bad one is left for the engine to refuse. */
export function dockerTagName(t: string): string {
  const { parseReference } = require('../../image/reference') as typeof import('../../image/reference');
  const { refName } = require('../../image/lookup') as typeof import('../../image/lookup');
  try { return refName(parseReference(t), true); } catch { return t; }
}
