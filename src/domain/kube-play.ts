// `kube play` and `kube down` over the domain's engines, as podman 4.3.1's PlayKube and
// PlayKubeDown: the YAML's Pods and Deployments become a pod and its containers made by the
// engines' own create (the YAML only translated into their options), PersistentVolumeClaims
// volumes, ConfigMaps the values of env and configMap volumes, Secrets secrets (for secretKeyRef,
// envFrom.secretRef and secret volumes). A play that fails removes what it made.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Engines } from './engines';
import type { CreateOptions } from './containers';
import type { PodCreateOptions } from './pods';
import type { KubeEngine, PlayKubeDownReport, PlayKubeOptions, PlayKubeReport } from './kube';
import { expect, kubeDocuments, kubeString, parseQuantity, type KubeDoc } from '../engine/kube/parse';
import { MAX_KUBE_ANNOTATION } from '../engine/kube/generate';
import { goYAML } from '../engine/kube/yaml';
import { parse as parseYAML } from 'yaml';
import { NotFoundError, PierError, UsageError, errnoText, errorMessage } from '../util/errors';
import { parsePublish } from '../network/ports';
import { SYSTEMD_UNIT_ENV } from '../engine/systemd';
import { sendNotify } from '../engine/sdnotify';

/** The network pods join when --network is not given (podman's podman-default-kube-network). */
export const KUBE_DEFAULT_NETWORK = 'pier-default-kube-network';

type Obj = Record<string, any>;

/** What a play made so far, removed if it fails: pods, volumes, secrets and the service container. */
interface Made { pods: string[]; volumes: string[]; secrets: string[]; service?: string }

interface ConfigMap { name: string; data: Record<string, string>; binaryData: Record<string, Buffer> }

interface KubeVolume { type: 'bind' | 'named' | 'configMap' | 'secret' | 'emptyDir' | 'device'; source: string; items?: Map<string, Buffer>; optional?: boolean }

/** Secrets' key/value pairs by secret name (an Error: missing or unreadable), read before a pod's containers are made. */
type SecretValues = Map<string, Map<string, Buffer> | Error>;

/** The value of a `data` map entry: base64, as Kubernetes' []byte fields read it. */
function base64Value(v: unknown, where: string): Buffer {
  const t = String(v ?? '');
  if (t.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(t)) throw new PierError(`unable to read YAML as kube secret: illegal base64 data in ${where}`);
  return Buffer.from(t, 'base64');
}

/**
 * A secret's pairs as kube play reads them: a Secret document that kube play stored (`data`
 * base64-decoded, `stringData` as is), or a JSON map of key to base64 value as podman's
 * k8sSecretFromSecretManager reads secrets made with `secret create`.
 */
function secretPairs(name: string, raw: Buffer): Map<string, Buffer> {
  let v: unknown;
  try { v = parseYAML(raw.toString('utf8')); } catch { v = undefined; }
  const out = new Map<string, Buffer>();
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    const o = v as Obj;
    if (o.kind === 'Secret') {
      for (const [k, val] of Object.entries((o.data ?? {}) as Obj)) out.set(k, base64Value(val, `secret ${name} key ${k}`));
      for (const [k, val] of Object.entries((o.stringData ?? {}) as Obj)) out.set(k, Buffer.from(String(val)));
      return out;
    }
    if (Object.values(o).every((x) => typeof x === 'string')) {
      for (const [k, val] of Object.entries(o)) out.set(k, base64Value(val, `secret ${name} key ${k}`));
      return out;
    }
  }
  throw new PierError(`secret ${name} is not valid JSON: it is neither a Secret document nor a map of keys to base64 values`);
}

function configMapOf(d: KubeDoc): ConfigMap {
  const meta = (d.metadata ?? {}) as Obj;
  const data: Record<string, string> = {};
  for (const [k, v] of Object.entries((d.data ?? {}) as Obj)) {
    expect(v, 'string', 'ConfigMap.data', 'string', 'Kube ConfigMap');
    data[k] = kubeString(v) ?? '';
  }
  const binaryData: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries((d.binaryData ?? {}) as Obj)) binaryData[k] = Buffer.from(String(v), 'base64');
  return { name: String(meta.name ?? ''), data, binaryData };
}

/** The files of a configMap or secret volume: `items` (key to path) when listed, else every key. */
function volumeItems(pairs: Map<string, Buffer>, list: Obj[]): Map<string, Buffer> {
  if (!list.length) return new Map(pairs);
  const items = new Map<string, Buffer>();
  for (const it of list) {
    const data = pairs.get(String(it.key));
    if (data) items.set(String(it.path), data);
  }
  return items;
}

/** podman's VolumeFromSource for the kinds pier plays: hostPath, persistentVolumeClaim, configMap, secret, emptyDir. */
function kubeVolume(v: Obj, configMaps: ConfigMap[], secrets: SecretValues): KubeVolume {
  if (v.hostPath) {
    const p = String(v.hostPath.path ?? '');
    const type = v.hostPath.type ?? '';
    switch (type) {
      case 'DirectoryOrCreate':
        fs.mkdirSync(p, { recursive: true, mode: 0o755 });
        break;
      case 'FileOrCreate':
        if (!fs.existsSync(p)) fs.closeSync(fs.openSync(p, fs.constants.O_RDONLY | fs.constants.O_CREAT, 0o644));
        break;
      case 'Socket': {
        let st;
        try { st = fs.statSync(p); } catch (e) { throw new PierError(`checking HostPathSocket: stat ${p}: no such file or directory`); }
        if (!st.isSocket()) throw new PierError(`checking HostPathSocket: path ${p} is not a socket`);
        break;
      }
      case 'CharDevice': case 'BlockDevice': {
        // A device node: the container gets it as a device at the mount path (podman's checks:
        // a BlockDevice only must not be a character device).
        const what = type === 'CharDevice' ? 'HostPathCharDevice' : 'HostPathBlockDevice';
        let st;
        try { st = fs.statSync(p); } catch (e) { throw new PierError(`checking ${what}: stat ${p}: ${errnoText(e)}`); }
        if (type === 'CharDevice' && !st.isCharacterDevice()) throw new PierError(`checking HostPathCharDevice: path ${p} is not a character device`);
        if (type === 'BlockDevice' && st.isCharacterDevice()) throw new PierError(`checking HostPathDevice: path ${p} is not a block device`);
        return { type: 'device', source: p };
      }
      case 'Directory': case 'File': case '':
        break;
      default:
        throw new PierError(`invalid HostPath type ${JSON.stringify(type)}`);
    }
    if (!p.startsWith('/')) throw new PierError(`in parsing HostPath in YAML: invalid host path, must be an absolute path "${p}"`);
    return { type: 'bind', source: p };
  }
  if (v.persistentVolumeClaim) return { type: 'named', source: String(v.persistentVolumeClaim.claimName ?? '') };
  if (v.configMap) {
    const name = String(v.configMap.name ?? '');
    const cm = configMaps.find((c) => c.name === name);
    if (!cm) {
      if (v.configMap.optional === true) return { type: 'configMap', source: name, optional: true, items: new Map() };
      throw new PierError(`no such ConfigMap ${JSON.stringify(name)}`);
    }
    for (const k of Object.keys(cm.data)) {
      if (k in cm.binaryData) throw new PierError(`the ConfigMap ${JSON.stringify(cm.name)} is invalid: duplicate key ${JSON.stringify(k)} present in data and binaryData`);
    }
    const pairs = new Map<string, Buffer>();
    for (const [k, val] of Object.entries(cm.data)) pairs.set(k, Buffer.from(val));
    for (const [k, val] of Object.entries(cm.binaryData)) pairs.set(k, val);
    return { type: 'configMap', source: cm.name, items: volumeItems(pairs, (v.configMap.items ?? []) as Obj[]) };
  }
  if (v.secret) {
    const name = String(v.secret.secretName ?? '');
    const pairs = secrets.get(name) ?? new NotFoundError(`no secret with name or id ${JSON.stringify(name)}: no such secret`);
    if (pairs instanceof Error) {
      if (v.secret.optional === true && pairs instanceof NotFoundError) return { type: 'secret', source: name, optional: true, items: new Map() };
      throw pairs;
    }
    return { type: 'secret', source: name, items: volumeItems(pairs, (v.secret.items ?? []) as Obj[]) };
  }
  if (v.emptyDir !== undefined) return { type: 'emptyDir', source: String(v.name) };
  throw new PierError('HostPath, ConfigMap, Secret, EmptyDir, and PersistentVolumeClaim are currently the only supported VolumeSource');
}

/**
 * podman's setupLivenessProbe: an exec, httpGet (curl) or tcpSocket (nc) probe as a CMD-SHELL
 * healthcheck (the command split at spaces, as podman's makeHealthCheck does), with Kubernetes'
 * defaults for the period (10 s), failure threshold (3) and timeout (1 s).
 */
function livenessHealthcheck(probe: Obj | undefined): CreateOptions['healthcheck'] {
  if (!probe || typeof probe !== 'object') return undefined;
  const fail = 'exit 1';
  let cmd: string;
  if (probe.exec) cmd = `${((probe.exec.command ?? []) as unknown[]).map(String).join(' ')} || ${fail}`;
  else if (probe.httpGet) {
    const g = probe.httpGet as Obj;
    cmd = `curl -f ${g.scheme || 'HTTP'}://${g.host || 'localhost'}:${portNumber(g.port)}${g.path || '/'} || ${fail}`;
  } else if (probe.tcpSocket) cmd = `nc -z -v ${probe.tcpSocket.host ?? ''} ${portNumber(probe.tcpSocket.port)} || ${fail}`;
  else return undefined;
  const secs = (v: unknown, dflt: number) => (typeof v === 'number' && v >= 1 ? v : dflt) * 1e9;
  return {
    Test: ['CMD-SHELL', ...cmd.split(' ')], Interval: secs(probe.periodSeconds, 10), Retries: typeof probe.failureThreshold === 'number' && probe.failureThreshold >= 1 ? probe.failureThreshold : 3,
    Timeout: secs(probe.timeoutSeconds, 1), StartPeriod: Math.max(0, Number(probe.initialDelaySeconds ?? 0)) * 1e9,
  };
}

/** An IntOrString port as Go's IntValue reads it: a number, or a string's number (0 when it is a name). */
function portNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  return /^[+-]?\d+$/.test(String(v ?? '')) ? Number(v) : 0;
}

/** podman's parseMountPath: PATH[:OPTIONS], `ro` for readOnly, the propagation mode. */
function mountOptions(mountPath: string, readOnly: boolean, propagation?: string): { dest: string; options: string[] } {
  const parts = mountPath.split(':');
  if (parts.length > 2) throw new PierError(`${JSON.stringify(mountPath)} incorrect volume format, should be ctr-dir[:option]`);
  const dest = parts[0];
  const options = parts.length > 1 ? parts[1].split(',') : [];
  if (!dest.startsWith('/')) throw new PierError(`parsing MountPath: invalid container path "${dest}", must be an absolute path`);
  if (readOnly) options.push('ro');
  if (propagation !== undefined) {
    const p = ({ None: 'private', HostToContainer: 'rslave', Bidirectional: 'rshared' } as Record<string, string>)[propagation];
    if (!p) throw new PierError(`unknown propagation mode ${JSON.stringify(propagation)}`);
    options.push(p);
  }
  return { dest, options };
}

const RESTART: Record<string, CreateOptions['restart']> = {
  Always: { name: 'always', maximumRetryCount: 0 }, OnFailure: { name: 'on-failure', maximumRetryCount: 0 }, Never: { name: 'no', maximumRetryCount: 0 },
};
const PULL: Record<string, CreateOptions['pull']> = { always: 'always', missing: 'missing', ifnotpresent: 'missing', never: 'never', newer: 'newer', ifnewer: 'newer' };

export class KubePlayer implements Pick<KubeEngine, 'play' | 'down'> {
  constructor(private readonly e: Engines) {}

  async play(text: string, o: PlayKubeOptions): Promise<PlayKubeReport> {
    const docs = kubeDocuments(text);
    if (o.replace) {
      try { await this.down(text); } catch (e) { if (!(e instanceof NotFoundError)) throw e; }
    }
    const report: PlayKubeReport = { Pods: [], Volumes: [] };
    if (o.serviceContainer && o.start === false) throw new PierError('running a service container requires starting the pod(s)');
    const made: Made = { pods: [], volumes: [], secrets: [] };
    try {
      if (!o.networks?.length) await this.e.networks().create({ name: KUBE_DEFAULT_NETWORK, ignore: true });
      const configMaps: ConfigMap[] = [];
      let validKinds = 0;
      for (const d of docs) {
        // The service container is made before the first pod, which starts it.
        if (o.serviceContainer && !made.service && (d.kind === 'Pod' || d.kind === 'Deployment')) made.service = await this.createService(text, o);
        switch (d.kind) {
          case 'Pod': {
            const meta = (d.metadata ?? {}) as Obj;
            const annotations: Record<string, string> = { ...((meta.annotations ?? {}) as Record<string, string>) };
            for (const [k, v] of Object.entries(annotations)) {
              if (String(v).length > MAX_KUBE_ANNOTATION) throw new PierError(`invalid annotation ${JSON.stringify(k)}=${JSON.stringify(v)} value length exceeds Kubernetetes max ${MAX_KUBE_ANNOTATION}`);
            }
            Object.assign(annotations, o.annotations ?? {});
            report.Pods.push(await this.playPod(String(meta.name ?? ''), { metadata: meta, spec: d.spec ?? {} }, o, annotations, configMaps, made));
            validKinds++;
            break;
          }
          case 'Deployment': {
            const meta = (d.metadata ?? {}) as Obj;
            const name = String(meta.name ?? '');
            if (!name) throw new PierError('deployment does not have a name');
            const replicas = d.spec?.replicas ?? 1;
            expect(replicas, 'number', 'Deployment.spec.replicas', 'int32', 'Kube Deployment');
            for (let i = 0; i < replicas; i++) {
              const podName = `${name}-pod-${i}`;
              try {
                report.Pods.push(await this.playPod(podName, d.spec?.template ?? {}, o, { ...((meta.annotations ?? {}) as Record<string, string>) }, configMaps, made));
              } catch (e) {
                throw new PierError(`encountered while bringing up pod ${podName}: ${errorMessage(e)}`);
              }
            }
            validKinds++;
            break;
          }
          case 'PersistentVolumeClaim':
            report.Volumes.push({ Name: await this.playPVC(d, made) });
            validKinds++;
            break;
          case 'ConfigMap':
            configMaps.push(configMapOf(d));
            break;
          case 'Secret':
            (report.Secrets ??= []).push({ CreateReport: { ID: await this.playSecret(d, made) } });
            validKinds++;
            break;
          default:
            // podman logs other kinds (at info level) and goes on.
            break;
        }
      }
      if (validKinds === 0) {
        if (configMaps.length) throw new PierError('ConfigMaps in podman are not a standalone object and must be used in a container');
        throw new PierError('YAML document does not contain any supported kube kind');
      }
      if (made.service && report.Pods.length) await this.notifyService(made.service);
      return report;
    } catch (e) {
      for (const id of made.pods.reverse()) await this.e.pods().remove(id, { force: true, ignore: true, timeout: 0 }).catch(() => undefined);
      if (made.service) await this.e.containers().remove(made.service, { force: true, ignore: true, timeout: 0 }).catch(() => undefined);
      for (const v of made.volumes) await this.e.volumes().remove(v, { force: true }).catch(() => undefined);
      for (const id of made.secrets) await this.e.secrets().remove(id).catch(() => undefined);
      throw e;
    }
  }

  /**
   * podman's createServiceContainer: `<first 12 hex digits of the YAML's sha256>-service`, of the
   * pods' pause image, without a network, stopped at once (no stop timeout), sd-notify ignored
   * (kube play tells systemd itself); with --replace, one of that name is removed first.
   */
  private async createService(text: string, o: PlayKubeOptions): Promise<string> {
    const name = `${createHash('sha256').update(text).digest('hex').slice(0, 12)}-service`;
    if (o.replace) {
      try {
        await this.e.containers().remove(name, { force: true, ignore: true, timeout: 0 });
      } catch (e) {
        throw new PierError(`replacing service container: ${errorMessage(e)}`);
      }
    }
    try {
      const { id } = await this.e.containers().create({
        image: '', service: true, command: [], name, network: 'none', stopTimeout: 0, sdnotify: 'ignore', imageVolume: 'bind', pull: 'missing',
        ...(o.createCommand ? { createCommand: o.createCommand } : {}),
      });
      return id;
    } catch (e) {
      throw new PierError(`creating service container: ${errorMessage(e)}`);
    }
  }

  /**
   * The pods are up: as podman's, MAINPID (the service container's conmon) and READY=1 to the
   * NOTIFY_SOCKET of the environment, when there is one (systemd's Type=notify unit of a .kube).
   */
  private async notifyService(id: string): Promise<void> {
    const socket = process.env.NOTIFY_SOCKET;
    if (!socket) return;
    const state = (await this.e.containers().inspect(id)).State as { ConmonPid: number };
    try {
      sendNotify(socket, `MAINPID=${state.ConmonPid}\nREADY=1`);
    } catch (e) {
      throw new PierError(errorMessage(e));
    }
  }

  /**
   * podman's --ip and --mac-address: the next pod's static address on its one bridge network (an
   * error for other modes or several networks), a warning once they run out.
   */
  private staticAddresses(podOpts: PodCreateOptions, o: PlayKubeOptions, i: number): void {
    const nets = podOpts.networks ?? [];
    const mode = nets[0]?.split(':')[0] ?? '';
    const bridge = !['none', 'host', 'private', 'slirp4netns', 'pasta', 'container', 'ns'].includes(mode);
    const { log } = require('../util/log') as typeof import('../util/log');
    const ips = o.staticIPs ?? [];
    if (ips.length > i) {
      if (!bridge) throw new UsageError('static ip addresses can only be set when the network mode is bridge: invalid argument');
      if (nets.length !== 1) throw new UsageError('cannot set static ip addresses for more than network, use netname:ip=<ip> syntax to specify ips for more than network: invalid argument');
      if (ips[i].includes(':')) podOpts.ip6 = ips[i]; else podOpts.ip = ips[i];
    } else if (ips.length) log.warn('No more static ips left using a random one');
    const macs = o.staticMACs ?? [];
    if (macs.length > i) {
      if (!bridge) throw new UsageError('static mac address can only be set when the network mode is bridge: invalid argument');
      if (nets.length !== 1) throw new UsageError('cannot set static mac address for more than network, use netname:mac=<mac> syntax to specify mac for more than network: invalid argument');
      podOpts.macAddress = macs[i];
    } else if (ips.length) log.warn('No more static macs left using a random one');
  }

  /**
   * podman's --build: builds `image` from CONTEXT/NAME/Containerfile (or Dockerfile), NAME being
   * the image name up to its first `:`, its last path component, up to `@` (imageNamePrefix), when
   * --build is given, or when it is not and the image is missing. True when it built.
   */
  private async buildImage(image: string, o: PlayKubeOptions): Promise<boolean> {
    if (o.contextDir === undefined || o.build === false) return false;
    const name = image.split(':')[0].split('/').pop()!.split('@')[0];
    const file = ['Containerfile', 'Dockerfile'].map((f) => path.join(o.contextDir!, name, f)).find((f) => fs.existsSync(f));
    if (!file) return false;
    if (o.build !== true && await this.e.images().exists(image)) return false;
    await this.e.build().build({ contextDir: path.dirname(file), containerfile: file, tags: [image] }, { write: o.buildOutput ?? (() => undefined) });
    return true;
  }

  /** The secrets a pod's volumes and containers' env refer to, each read once (an Error: missing or unreadable). */
  private async secretValues(spec: Obj): Promise<SecretValues> {
    const names = new Set<string>();
    for (const v of (spec.volumes ?? []) as Obj[]) if (v.secret) names.add(String(v.secret.secretName ?? ''));
    for (const c of [...((spec.containers ?? []) as Obj[]), ...((spec.initContainers ?? []) as Obj[])]) {
      for (const e of (c.env ?? []) as Obj[]) if (e.valueFrom?.secretKeyRef) names.add(String(e.valueFrom.secretKeyRef.name ?? ''));
      for (const f of (c.envFrom ?? []) as Obj[]) if (f.secretRef) names.add(String(f.secretRef.name ?? ''));
    }
    const out: SecretValues = new Map();
    for (const name of names) {
      try {
        out.set(name, secretPairs(name, await this.e.secrets().data(name)));
      } catch (e) {
        out.set(name, e as Error);
      }
    }
    return out;
  }

  /** podman's playKubeSecret: the document stored (as YAML) as a secret of its name, replacing one unless that is immutable. */
  private async playSecret(d: KubeDoc, made: { secrets: string[] }): Promise<string> {
    const meta = (d.metadata ?? {}) as Obj;
    const name = String(meta.name ?? '');
    const doc: Obj = { apiVersion: d.apiVersion, kind: 'Secret', metadata: { ...meta, creationTimestamp: null } };
    if (d.data !== undefined) {
      if (typeof d.data !== 'object' || d.data === null || Array.isArray(d.data)) throw new PierError('unable to read YAML as kube secret: data must be a map');
      for (const [k, v] of Object.entries(d.data as Obj)) base64Value(v, `data.${k}`);
      doc.data = d.data;
    }
    if (d.stringData !== undefined) doc.stringData = d.stringData;
    if (d.immutable !== undefined) doc.immutable = d.immutable === true;
    if (d.type !== undefined) doc.type = String(d.type);
    const secrets = this.e.secrets();
    let old: Buffer | undefined;
    try { old = await secrets.data(name); } catch (e) { if (!(e instanceof NotFoundError)) throw e; }
    if (old) {
      let immutable = false;
      try { immutable = (parseYAML(old.toString('utf8')) as Obj)?.immutable === true; } catch { /* not a document kube play stored */ }
      if (immutable) throw new PierError('cannot remove colliding secret as it is set to immutable');
      await secrets.remove(name);
    }
    const id = await secrets.create({ name, data: Buffer.from(goYAML(doc)) });
    made.secrets.push(id);
    return id;
  }

  private async playPVC(d: KubeDoc, made: { volumes: string[] }): Promise<string> {
    const meta = (d.metadata ?? {}) as Obj;
    const name = String(meta.name ?? '');
    if (!name.trim()) throw new PierError('persistent volume claim name can not be empty');
    const options: Record<string, string> = {};
    let driver: string | undefined;
    for (const [k, v] of Object.entries((meta.annotations ?? {}) as Record<string, string>)) {
      switch (k) {
        case 'volume.podman.io/driver': driver = v; break;
        case 'volume.podman.io/device': options.device = v; break;
        case 'volume.podman.io/type': options.type = v; break;
        case 'volume.podman.io/uid':
          if (!/^[+-]?\d+$/.test(v)) throw new PierError(`cannot convert uid ${v} to integer: strconv.Atoi: parsing ${JSON.stringify(v)}: invalid syntax`);
          options.UID = v;
          break;
        case 'volume.podman.io/gid':
          if (!/^[+-]?\d+$/.test(v)) throw new PierError(`cannot convert gid ${v} to integer: strconv.Atoi: parsing ${JSON.stringify(v)}: invalid syntax`);
          options.GID = v;
          break;
        case 'volume.podman.io/mount-options': options.o = v; break;
      }
    }
    const v = await this.e.volumes().create({ name, driver, labels: (meta.labels ?? {}) as Record<string, string>, options });
    made.volumes.push(v.Name);
    return v.Name;
  }

  private async playPod(podName: string, tpl: Obj, o: PlayKubeOptions, annotations: Record<string, string>, configMaps0: ConfigMap[], made: Made) {
    if (!podName) throw new PierError('pod does not have a name');
    const meta = (tpl.metadata ?? {}) as Obj;
    const spec = (tpl.spec ?? {}) as Obj;
    const containers = (spec.containers ?? []) as Obj[];
    const initContainers = (spec.initContainers ?? []) as Obj[];
    for (const c of [...containers, ...initContainers]) {
      expect(c.name, 'string', 'Container.spec.containers.name', 'string', 'Kube Pod');
      expect(c.image, 'string', 'Container.spec.containers.image', 'string', 'Kube Pod');
      expect(c.command, 'array', 'Container.spec.containers.command', '[]string', 'Kube Pod');
      expect(c.args, 'array', 'Container.spec.containers.args', '[]string', 'Kube Pod');
      for (const e of (c.env ?? []) as Obj[]) expect(e.value, 'string', 'EnvVar.spec.containers.env.value', 'string', 'Kube Pod');
      // Scalars of string fields as their text (`value: 1`, `name: 5`, `command: [sleep, 100]`).
      c.name = kubeString(c.name);
      c.image = kubeString(c.image);
      for (const k of ['command', 'args']) if (Array.isArray(c[k])) c[k] = (c[k] as unknown[]).map((x) => kubeString(x) ?? '');
      for (const e of (c.env ?? []) as Obj[]) if (e.value !== undefined && e.value !== null) e.value = kubeString(e.value);
    }
    // The seccomp annotations are checked before anything is made (podman's InitializeSeccompPaths).
    const seccomp = seccompProfiles(annotations, o.seccompProfileRoot ?? '/var/lib/kubelet/seccomp');
    const labels = { ...((meta.labels ?? {}) as Record<string, string>) };
    const hostNetwork = spec.hostNetwork === true;
    const podOpts: PodCreateOptions = {
      name: podName, labels, share: ['ipc', 'net', 'uts', ...(spec.shareProcessNamespace === true ? ['pid'] : [])],
      hostname: spec.hostname || podName, exitPolicy: 'stop', noHosts: o.noHosts, infraSdnotify: 'ignore',
      ...(made.service ? { serviceContainer: made.service } : {}), ...(o.userns ? { userns: o.userns } : {}),
    };
    if (spec.hostAliases) {
      if (o.noHosts) throw new PierError('HostAliases in yaml file will not work with --no-hosts');
      podOpts.addHost = (spec.hostAliases as Obj[]).flatMap((a) => ((a.hostnames ?? []) as string[]).map((h) => `${h}:${a.ip}`));
    }
    // podman's getPodPorts: each container port published, on the same host port unless one is given.
    podOpts.publish = containers.flatMap((c) => ((c.ports ?? []) as Obj[]).map((p) => {
      let hostPort = Number(p.hostPort ?? 0);
      let containerPort = Number(p.containerPort ?? 0);
      if (hostPort && !containerPort) containerPort = hostPort;
      if (!hostPort && containerPort) hostPort = containerPort;
      const proto = String(p.protocol ?? 'tcp').toLowerCase();
      return hostPort ? `${p.hostIP ? `${p.hostIP}:` : ''}${hostPort}:${containerPort}/${proto}` : '';
    }).filter(Boolean));
    if (o.publish?.length) podOpts.publish = mergePublish(podOpts.publish, o.publish);
    const dns = spec.dnsConfig as Obj | undefined;
    if (dns) {
      if (dns.nameservers?.length) podOpts.dns = dns.nameservers;
      if (dns.searches?.length) podOpts.dnsSearch = dns.searches;
      if (dns.options?.length) podOpts.dnsOption = (dns.options as Obj[]).map((x) => (x.value !== undefined ? `${x.name}:${x.value}` : String(x.name)));
    }
    podOpts.networks = hostNetwork ? ['host'] : o.networks?.length ? o.networks : [KUBE_DEFAULT_NETWORK];
    // The pods this play made before this one: its index into --ip and --mac-address.
    this.staticAddresses(podOpts, o, made.pods.length);

    const configMaps = [...configMaps0];
    for (const f of o.configMaps ?? []) {
      const cm = readConfigMap(f.path, f.text);
      if (configMaps.some((c) => c.name === cm.name)) throw new PierError(`ambiguous configuration: the same config map ${cm.name} is present in YAML and in --configmaps ${f.path} file`);
      configMaps.push(cm);
    }
    const secrets = await this.secretValues(spec);
    const volumes = new Map<string, KubeVolume>();
    for (const v of (spec.volumes ?? []) as Obj[]) {
      try {
        volumes.set(String(v.name), kubeVolume(v, configMaps, secrets));
      } catch (e) {
        throw new PierError(`failed to create volume ${JSON.stringify(String(v.name))}: ${errorMessage(e)}`);
      }
    }
    for (const v of volumes.values()) {
      if ((v.type !== 'configMap' && v.type !== 'secret') || v.optional) continue;
      const vol = await this.e.volumes().create({ name: v.source, ignoreIfExists: true });
      for (const [k, data] of v.items ?? []) fs.writeFileSync(path.join(vol.Mountpoint, k), data);
    }
    const restart = RESTART[spec.restartPolicy] ?? RESTART.Always;

    // Checked before the pod is made (podman checks each as it creates its container).
    const seen = new Set<string>();
    for (const c of [...initContainers, ...containers]) {
      if (seen.has(c.name)) throw new PierError(`the pod ${JSON.stringify(podName)} is invalid; duplicate container name ${JSON.stringify(c.name)} detected`);
      seen.add(c.name);
    }
    // Images with a build directory are built first (podman's getImageAndLabelInfo).
    const built = new Set<string>();
    for (const c of [...initContainers, ...containers]) {
      if (!built.has(c.image) && await this.buildImage(String(c.image), o)) built.add(c.image);
    }
    const podId = await this.e.pods().create(podOpts);
    made.pods.push(podId);
    const initType = annotations['io.podman.annotations.init.container.type'] || 'once';
    const initIds: string[] = [];
    const ids: string[] = [];
    for (const [list, init] of [[initContainers, true], [containers, false]] as const) {
      for (const c of list) {
        const opts = this.containerOptions(c, { built: built.has(c.image), podName, podId, init: init ? initType : undefined, o, labels, annotations, configMaps, secrets, volumes, restart, podSecurity: (spec.securityContext ?? {}) as Obj, seccomp: seccomp.containers[c.name] ?? seccomp.pod });
        const { id } = await this.e.containers().create(opts);
        (init ? initIds : ids).push(id);
      }
    }
    const errs: string[] = [];
    if (o.start !== false) {
      const r = await this.e.pods().start(podId);
      for (const err of r.Errs) errs.push(`starting container ${err}`);
    }
    return { ID: podId, Containers: ids, InitContainers: initIds, Logs: [], ContainerErrors: errs };
  }

  /** podman's ToSpecGen, as pier's create options. */
  private containerOptions(c: Obj, x: { built: boolean; podName: string; podId: string; init?: string; o: PlayKubeOptions; labels: Record<string, string>; annotations: Record<string, string>; seccomp?: string;
    configMaps: ConfigMap[]; secrets: SecretValues; volumes: Map<string, KubeVolume>; restart: CreateOptions['restart']; podSecurity: Obj }): CreateOptions {
    const image = String(c.image ?? '');
    if (!image) throw new PierError(`container ${JSON.stringify(c.name)} of pod ${JSON.stringify(x.podName)} has no image`);
    let policy = c.imagePullPolicy ? PULL[String(c.imagePullPolicy).toLowerCase()] : 'newer';
    if (!policy) throw new PierError(`unsupported pull policy ${JSON.stringify(String(c.imagePullPolicy).toLowerCase())}`);
    // An image just built is used as it is (podman looks it up instead of pulling).
    if (x.built) policy = 'never';
    const opts: CreateOptions = {
      image, command: [], name: `${x.podName}-${c.name}`, pod: x.podId, tty: c.tty === true, interactive: c.stdin === true,
      restart: x.restart, pull: policy, pullOptions: { tlsVerify: x.o.tlsVerify, authfile: x.o.authfile, ...(x.o.creds ? { creds: x.o.creds } : {}), ...(x.o.certDir ? { certDir: x.o.certDir } : {}), ...(x.o.progress ? { progress: x.o.progress } : {}) },
      annotations: { ...x.annotations }, labels: { ...x.labels }, sdnotify: 'ignore', kubeEnv: true,
    };
    if (x.init) opts.initContainerType = x.init as CreateOptions['initContainerType'];
    if (x.o.logDriver) opts.logDriver = x.o.logDriver;
    if (x.o.logOptions?.length) opts.logOpts = x.o.logOptions;
    // Auto-update labels from the pod's annotations (KEY or KEY/CONTAINER).
    for (const label of ['io.containers.autoupdate', 'io.containers.autoupdate.authfile']) {
      const v = x.annotations[`${label}/${c.name}`] ?? x.annotations[label];
      if (v) opts.labels![label] = v;
    }
    // The unit this runs in, for auto-update (podman reads it here, in the engine: a service's own).
    if (process.env[SYSTEMD_UNIT_ENV]) opts.labels![SYSTEMD_UNIT_ENV] = process.env[SYSTEMD_UNIT_ENV]!;
    const sc = (c.securityContext ?? {}) as Obj;
    if (sc.readOnlyRootFilesystem !== undefined) opts.readOnly = sc.readOnlyRootFilesystem === true;
    if (sc.privileged !== undefined) opts.privileged = sc.privileged === true;
    if (sc.allowPrivilegeEscalation === false) opts.securityOpt = ['no-new-privileges'];
    if (x.seccomp) opts.securityOpt = [...(opts.securityOpt ?? []), `seccomp=${x.seccomp}`];
    if (sc.capabilities?.add) opts.capAdd = (sc.capabilities.add as string[]).map(String);
    if (sc.capabilities?.drop) opts.capDrop = (sc.capabilities.drop as string[]).map(String);
    const runAsUser = sc.runAsUser ?? x.podSecurity.runAsUser;
    const runAsGroup = sc.runAsGroup ?? x.podSecurity.runAsGroup;
    if (runAsUser !== undefined || runAsGroup !== undefined) opts.user = `${runAsUser ?? 0}${runAsGroup !== undefined ? `:${runAsGroup}` : ''}`;
    if (x.podSecurity.supplementalGroups?.length) opts.groupAdd = (x.podSecurity.supplementalGroups as number[]).map(String);

    const limits = (c.resources?.limits ?? {}) as Obj;
    const requests = (c.resources?.requests ?? {}) as Obj;
    if (limits.cpu !== undefined) {
      const milli = Math.ceil(parseQuantity(limits.cpu) * 1000);
      if (milli > 0) opts.cpus = milli / 1000;
    }
    if (limits.memory !== undefined) {
      const n = Math.trunc(parseQuantity(limits.memory));
      if (n > 0) opts.memory = n;
    }
    if (requests.memory !== undefined) {
      const n = Math.trunc(parseQuantity(requests.memory));
      if (n > 0) opts.memoryReservation = n;
    }
    // Kubernetes' command replaces the entrypoint (and the image's command); args replace the command.
    if (Array.isArray(c.command) && c.command.length) opts.entrypoint = c.command.map(String);
    if (Array.isArray(c.args) && c.args.length) opts.command = c.args.map(String);
    if (c.workingDir) opts.workdir = String(c.workingDir);
    const probe = livenessHealthcheck(c.livenessProbe);
    if (probe) {
      opts.healthcheck = probe;
      // podman 4.3.1 compares the policy with "always" and "onfailure" (which never matches its
      // "on-failure"): only Always restarts an unhealthy container.
      if (x.restart?.name === 'always') opts.healthOnFailure = 'restart';
    }

    const env: string[] = [];
    for (const e of (c.env ?? []) as Obj[]) {
      const v = this.envValue(e, x);
      if (v !== undefined) env.push(`${e.name}=${v}`);
    }
    for (const from of (c.envFrom ?? []) as Obj[]) {
      if (from.configMapRef) {
        const cm = x.configMaps.find((m) => m.name === from.configMapRef.name);
        if (cm) for (const [k, v] of Object.entries(cm.data)) env.push(`${k}=${v}`);
        else if (from.configMapRef.optional !== true) throw new PierError(`configmap ${from.configMapRef.name} not found`);
      } else if (from.secretRef) {
        const pairs = x.secrets.get(String(from.secretRef.name));
        if (pairs instanceof Map) for (const [k, v] of pairs) env.push(`${k}=${v.toString()}`);
        else if (from.secretRef.optional !== true && pairs) throw pairs;
      }
    }
    if (env.length) opts.env = env;

    const vols: string[] = [];
    for (const m of (c.volumeMounts ?? []) as Obj[]) {
      const src = x.volumes.get(String(m.name));
      if (!src) throw new PierError(`volume mount ${m.name} specified for container but not configured in volumes`);
      if (src.optional) continue;
      const { dest, options } = mountOptions(String(m.mountPath ?? ''), m.readOnly === true, m.mountPropagation);
      if (src.type === 'device') { (opts.devices ??= []).push(`${src.source}:${dest}`); continue; }
      vols.push(`${src.source}:${dest}${options.length ? `:${options.join(',')}` : ''}`);
    }
    if (vols.length) opts.volumes = vols;
    return opts;
  }

  private envValue(e: Obj, x: { podName: string; podId: string; labels: Record<string, string>; annotations: Record<string, string>; configMaps: ConfigMap[]; secrets: SecretValues }): string | undefined {
    const from = e.valueFrom as Obj | undefined;
    if (!from) return String(e.value ?? '');
    if (from.configMapKeyRef) {
      const ref = from.configMapKeyRef as Obj;
      const cm = x.configMaps.find((m) => m.name === ref.name);
      let err = `cannot set env ${e.name}: configmap ${ref.name} not found`;
      if (cm) {
        if (ref.key in cm.data) return cm.data[ref.key];
        err = `cannot set env ${e.name}: key ${ref.key} not found in configmap ${ref.name}`;
      }
      if (ref.optional !== true) throw new PierError(err);
      return undefined;
    }
    if (from.secretKeyRef) {
      const ref = from.secretKeyRef as Obj;
      const pairs = x.secrets.get(String(ref.name));
      let err = pairs instanceof Error ? pairs.message : '';
      if (pairs instanceof Map) {
        const v = pairs.get(String(ref.key));
        if (v) return v.toString();
        err = `secret ${ref.name} has not ${ref.key} key`;
      }
      if (ref.optional !== true) throw new PierError(`cannot set env ${e.name}: ${err}`);
      return undefined;
    }
    if (from.fieldRef) {
      const p = String(from.fieldRef.fieldPath ?? '');
      if (p === 'metadata.name') return x.podName;
      if (p === 'metadata.uid') return x.podId;
      const l = /^metadata.labels\['(.+)'\]$/.exec(p);
      if (l) return x.labels[l[1]] ?? '';
      const a = /^metadata.annotations\['(.+)'\]$/.exec(p);
      if (a) return x.annotations[a[1]] ?? '';
      throw new PierError(`can not set env ${e.name}. Reason: fieldPath ${p} is either not valid or not supported`);
    }
    return String(e.value ?? '');
  }

  async down(text: string): Promise<PlayKubeDownReport> {
    const names: string[] = [];
    for (const d of kubeDocuments(text)) {
      if (d.kind === 'Pod') names.push(String(d.metadata?.name ?? ''));
      else if (d.kind === 'Deployment') {
        const n = d.spec?.replicas ?? 1;
        for (let i = 0; i < n; i++) names.push(`${d.metadata?.name ?? ''}-pod-${i}`);
      }
    }
    const pods = this.e.pods();
    // podman's PodStop and PodRm: every name looked up first, a missing one the error.
    const ids: string[] = [];
    for (const n of names) {
      if (!(await pods.exists(n))) throw new NotFoundError(`no pod with name or ID ${n} found: no such pod`);
    }
    const report: PlayKubeDownReport = { StopReport: [], RmReport: [] };
    for (const n of names) {
      const r = await pods.stop(n, {});
      report.StopReport.push({ Errs: r.Errs, Id: r.Id, RawInput: n });
      ids.push(r.Id);
    }
    for (const id of ids) {
      try {
        await pods.remove(id, {});
        report.RmReport.push({ Id: id });
      } catch (e) {
        report.RmReport.push({ Id: id, Err: errorMessage(e) });
      }
    }
    return report;
  }
}

/** A --configmap file: one ConfigMap document. */
function readConfigMap(file: string, text: string): ConfigMap {
  const docs = kubeDocuments(text);
  const d = docs[0] ?? {};
  if (d.kind !== 'ConfigMap') throw new PierError(`${JSON.stringify(file)}: invalid YAML kind: ${JSON.stringify(String(d.kind ?? ''))}. [ConfigMap] is the only supported by --configmap`);
  return configMapOf(d);
}

/** --publish's ports first, then the YAML's whose container port and protocol none of them covers (podman 4.5's merge). */
function mergePublish(fromYaml: string[], fromFlag: string[]): string[] {
  const flagMaps = fromFlag.flatMap((p) => parsePublish(p));
  const covered = (spec: string) => parsePublish(spec).every((y) => flagMaps.some((f) => f.protocol === y.protocol &&
    y.container_port >= f.container_port && y.container_port < f.container_port + f.range));
  return [...fromFlag, ...fromYaml.filter((y) => !covered(y))];
}

const SECCOMP_CONTAINER_PREFIX = 'container.seccomp.security.alpha.kubernetes.io/';

/**
 * The seccomp profiles of a pod's annotations, as podman 4.3 reads them (Kubernetes' alpha
 * annotations): `seccomp.security.alpha.kubernetes.io/pod` for every container, and
 * `container.seccomp.security.alpha.kubernetes.io/NAME` for one. `runtime/default` (and
 * `docker/default`) is the default profile (no option), `unconfined` none, `localhost/FILE` the
 * file under `root`; anything else is podman's error. Values are --security-opt seccomp= values
 * ('' and undefined: the default profile).
 */
export function seccompProfiles(annotations: Record<string, string>, root: string): { pod?: string; containers: Record<string, string> } {
  const value = (v: string): string | undefined => {
    if (v === 'runtime/default' || v === 'docker/default') return undefined;
    if (v === 'unconfined') return 'unconfined';
    const parts = v.split('/');
    if (parts[0] === 'localhost') return path.join(root, parts[1] ?? '');
    throw new PierError(`invalid seccomp path: ${v}`);
  };
  const out: { pod?: string; containers: Record<string, string> } = { containers: {} };
  for (const [k, v] of Object.entries(annotations)) {
    if (!k.startsWith(SECCOMP_CONTAINER_PREFIX)) continue;
    const parts = k.split('/');
    if (parts.length !== 2) throw new PierError(`expected annotation ${SECCOMP_CONTAINER_PREFIX} to be of format ${SECCOMP_CONTAINER_PREFIX}<CONTAINER_NAME>`);
    // The default profile is kept as '' so the container does not take the pod's.
    out.containers[parts[1]] = value(v) ?? '';
  }
  const pod = annotations['seccomp.security.alpha.kubernetes.io/pod'];
  if (pod !== undefined) out.pod = value(pod);
  return out;
}
