// The Libpod API's Kubernetes endpoints (podman 4.3.1): GET /libpod/generate/kube (and
// /libpod/kube/generate) answers the YAML text; POST /libpod/play/kube (/libpod/kube/play) plays
// the YAML body and answers podman's PlayKubeReport; DELETE tears the body's pods down.
import type { Router, ApiRequest } from '../router';
import { ApiError } from '../errors';
import { badParam, queryBool } from '../query-params';
import { errorMessage } from '../../util/errors';
import type { PlayKubeOptions } from '../../domain/kube';

export function registerLibpodKubeRoutes(router: Router): void {
  const generate = async (r: ApiRequest) => {
    const service = queryBool(r, 'service');
    let text: string;
    try {
      text = await r.engines.kube().generate(r.query.getAll('names'), { service });
    } catch (e) {
      throw new ApiError(500, `generating YAML: ${errorMessage(e)}`);
    }
    // podman answers the text with the content type its reader case sets.
    r.res!.writeHead(200, { 'Content-Type': 'application/x-tar', 'Content-Length': String(Buffer.byteLength(text)) });
    r.res!.end(text);
  };
  router.get('/libpod/generate/kube', generate);
  router.get('/libpod/kube/generate', generate);

  const play = async (r: ApiRequest) => {
    const annotations: Record<string, string> = {};
    const raw = r.query.get('annotations');
    if (raw) {
      try { Object.assign(annotations, JSON.parse(raw)); } catch { throw badParam(r, 'annotations'); }
    }
    const o: PlayKubeOptions = {
      annotations, networks: r.query.getAll('network'), logDriver: r.query.get('logDriver') || undefined, logOptions: r.query.getAll('logOptions'),
      noHosts: queryBool(r, 'noHosts'), quiet: true,
      ...(r.query.has('tlsVerify') ? { tlsVerify: queryBool(r, 'tlsVerify', true) } : {}),
      ...(r.query.has('start') ? { start: queryBool(r, 'start', true) } : {}),
      replace: queryBool(r, 'replace'),
    };
    // podman 4.5's parameter, for kube play's --publish.
    if (r.query.getAll('publishPorts').length) o.publish = r.query.getAll('publishPorts');
    if (r.query.get('userns')) o.userns = r.query.get('userns')!;
    const body = (await r.body()).toString();
    let report;
    try {
      report = await r.engines.kube().play(body, o);
    } catch (e) {
      throw new ApiError(500, `playing YAML file: ${errorMessage(e)}`);
    }
    r.send(200, report);
  };
  router.post('/libpod/play/kube', play);
  router.post('/libpod/kube/play', play);

  const down = async (r: ApiRequest) => {
    const body = (await r.body()).toString();
    let report;
    try {
      report = await r.engines.kube().down(body);
    } catch (e) {
      throw new ApiError(500, `tearing down YAML file: ${errorMessage(e)}`);
    }
    r.send(200, report);
  };
  router.delete('/libpod/play/kube', down);
  router.delete('/libpod/kube/play', down);
}
