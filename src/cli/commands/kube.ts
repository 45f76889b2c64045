// `pier kube play|down|generate`, `pier play kube` (hidden, podman's older spelling) and
// `pier generate kube`: Kubernetes YAML in and out, made by the engine (domain KubeEngine,
// locally or through the service).
import * as fs from 'node:fs';
import { isIPv4, isIPv6 } from '../../network/ipnet';
import type { CommandDef, Opts } from '../parser';
import type { Ctx } from '../context';
import type { PlayKubeOptions } from '../../domain/kube';
import { PierError, UsageError, errnoText } from '../../util/errors';
import { splitCSV } from './container-flags';
import { writeStderr, writeStdout } from '../../util/stdio';
import { commandLine } from '../../util/argv';

/** A StringSlice flag's values (pflag splits each on commas). */

/** The YAML of KUBEFILE: a file, `-` for stdin, or an http(s) URL (podman's readerFromArg). */
async function readKubeFile(arg: string): Promise<string> {
  if (arg === '-') return fs.readFileSync(0, 'utf8');
  if (/^https?:\/\//.test(arg)) {
    let res: Response;
    try { res = await fetch(arg); } catch (e) { throw new PierError(`Get ${JSON.stringify(arg)}: ${(e as Error).message}`); }
    return res.text();
  }
  try {
    return fs.readFileSync(arg, 'utf8');
  } catch (e) {
    throw new PierError(`open ${arg}: ${errnoText(e)}`);
  }
}

/** podman's teardown output: the pods stopped, then those removed; a removal's error ends it. */
async function teardown(ctx: Ctx, yaml: string): Promise<void> {
  const r = await ctx.engines.kube().down(yaml);
  const out: string[] = ['Pods stopped:'];
  const stopErrs: string[] = [];
  for (const s of r.StopReport) {
    if (!s.Errs.length) out.push(s.Id);
    else stopErrs.push(...s.Errs);
  }
  writeStdout(out.join('\n') + '\n');
  if (stopErrs.length) writeStderr(`Error: ${stopErrs[stopErrs.length - 1]}\n`);
  const rm: string[] = ['Pods removed:'];
  const rmErrs: string[] = [];
  for (const x of r.RmReport) {
    if (!x.Err) rm.push(x.Id);
    else rmErrs.push(x.Err);
  }
  writeStdout(rm.join('\n') + '\n');
  if (rmErrs.length) {
    for (const e of rmErrs.slice(0, -1)) writeStderr(`Error: ${e}\n`);
    throw new PierError(rmErrs[rmErrs.length - 1]);
  }
}

const playFlags: CommandDef['flags'] = [
  { name: 'annotation', type: 'stringArray', valueName: 'strings', help: 'Add annotations to pods (key=value)' },
  { name: 'authfile', type: 'string', help: 'Path of the authentication file. Use REGISTRY_AUTH_FILE environment variable to override' },
  { name: 'build', type: 'bool', help: 'Build all images in a YAML (given Containerfiles exist)' },
  { name: 'cert-dir', type: 'string', valueName: 'Pathname', help: 'Pathname of a directory containing TLS certificates and keys' },
  { name: 'configmap', type: 'stringArray', valueName: 'Pathname', help: 'Pathname of a YAML file containing a kubernetes configmap' },
  { name: 'context-dir', type: 'string', help: 'Path to top level of context directory' },
  { name: 'creds', type: 'string', valueName: 'Credentials', help: 'Credentials (USERNAME:PASSWORD) to use for authenticating to a registry' },
  { name: 'down', type: 'bool', hidden: true, help: 'Stop pods defined in the YAML file' },
  { name: 'ip', type: 'stringArray', valueName: 'ipSlice', default: [], help: 'Static IP addresses to assign to the pods' },
  { name: 'log-driver', type: 'string', default: 'k8s-file', help: 'Logging driver for the container' },
  { name: 'log-opt', type: 'stringArray', valueName: 'strings', help: 'Logging driver options' },
  { name: 'mac-address', type: 'stringArray', valueName: 'strings', help: 'Static MAC addresses to assign to the pods' },
  { name: 'network', type: 'stringArray', help: 'Connect pod to network(s) or network mode' },
  { name: 'no-hosts', type: 'bool', help: "Do not create /etc/hosts within the pod's containers, instead use the version from the image" },
  // podman 4.5's (pier's flags are podman 4.3's): hidden, for quadlet's PublishPort= (docs/quadlet.md).
  { name: 'publish', type: 'stringArray', hidden: true, valueName: 'strings', help: "Publish a container's port, or a range of ports, to the host" },
  { name: 'quiet', short: 'q', type: 'bool', help: 'Suppress output information when pulling images' },
  { name: 'replace', type: 'bool', help: 'Delete and recreate pods defined in the YAML file' },
  { name: 'seccomp-profile-root', type: 'string', default: '/var/lib/kubelet/seccomp', help: 'Directory path for seccomp profiles' },
  // podman's, hidden: meant for systemd units (quadlet's .kube), not for users.
  { name: 'service-container', type: 'bool', hidden: true, help: 'Starts a service container before all pods' },
  { name: 'start', type: 'bool', default: true, help: 'Start the pod after creating it' },
  { name: 'tls-verify', type: 'bool', default: true, help: 'Require HTTPS and verify certificates when contacting registries' },
  { name: 'userns', type: 'string', help: 'User namespace to use' },
];

async function runPlay(ctx: Ctx, args: string[], opts: Opts): Promise<number | void> {
  const changed: Set<string> = opts.changed ?? new Set();
  // podman-remote has no --service-container (its API takes none in 4.3).
  if (ctx.remoteUri && changed.has('service-container')) throw new UsageError('unknown flag: --service-container');
  if (opts.serviceContainer && !opts.start) throw new PierError('--service-container does not work with --start=stop');
  if (opts.authfile) {
    try { fs.statSync(opts.authfile); } catch (e) { throw new PierError(`stat ${opts.authfile}: ${errnoText(e)}`); }
  }
  const annotations: Record<string, string> = {};
  for (const a of splitCSV(opts.annotation)) {
    const i = a.indexOf('=');
    // podman indexes the value part whether or not there is one: no `=` is its crash, pier's error.
    if (i < 0) throw new UsageError(`annotation ${JSON.stringify(a)} must include an '=' sign`);
    const v = a.slice(i + 1);
    if (v.length > 63) throw new PierError(`annotation exceeds maximum size, 63, of kubernetes annotation: ${v}`);
    annotations[a.slice(0, i)] = v;
  }
  const o: PlayKubeOptions = {
    annotations, networks: opts.network ?? [], logDriver: opts.logDriver, logOptions: splitCSV(opts.logOpt), noHosts: !!opts.noHosts,
    quiet: !!opts.quiet, replace: !!opts.replace, authfile: opts.authfile || undefined, creds: opts.creds || undefined,
    certDir: opts.certDir || undefined, seccompProfileRoot: opts.seccompProfileRoot || undefined, userns: opts.userns || undefined,
  };
  // Pulls print podman's progress on stderr unless --quiet (local: the service's pulls are silent, as podman-remote's).
  if (!opts.quiet && !ctx.remoteUri) o.progress = (require('../progress') as typeof import('../progress')).stderrProgress();
  const publish = splitCSV(opts.publish);
  if (publish.length) o.publish = publish;
  // pflag's IPSlice: each value checked as an address (net.ParseIP).
  const ips = splitCSV(opts.ip);
  for (const ip of ips) {
    if (!isIPv4(ip) && !isIPv6(ip)) throw new UsageError(`invalid argument ${JSON.stringify(opts.ip.join(','))} for "--ip" flag: invalid string being converted to IP address: ${ip}`);
  }
  if (ips.length) o.staticIPs = ips;
  // net.ParseMAC's forms: 6, 8 or 20 bytes, as xx:xx..., xx-xx... or xxxx.xxxx....
  const macs = splitCSV(opts.macAddress);
  for (const mac of macs) {
    const groups = mac.includes('.') ? mac.split('.') : mac.split(mac.includes('-') ? '-' : ':');
    const dotted = mac.includes('.') && groups.every((g) => /^[0-9a-fA-F]{4}$/.test(g));
    const colon = !mac.includes('.') && groups.every((g) => /^[0-9a-fA-F]{2}$/.test(g));
    const bytes = dotted ? groups.length * 2 : colon ? groups.length : 0;
    if (![6, 8, 20].includes(bytes)) throw new PierError(`address ${mac}: invalid MAC address`);
  }
  if (macs.length) o.staticMACs = macs;
  if (changed.has('start')) o.start = !!opts.start;
  if (changed.has('tls-verify')) o.tlsVerify = !!opts.tlsVerify;
  const maps = splitCSV(opts.configmap);
  if (maps.length && ctx.remoteUri) throw new UsageError('unknown flag: --configmap');
  o.configMaps = maps.map((p) => {
    try { return { path: p, text: fs.readFileSync(p, 'utf8') }; } catch (e) { throw new PierError(`open ${p}: ${errnoText(e)}`); }
  });
  // --build, --context-dir, --cert-dir and --seccomp-profile-root are podman's local-mode flags (podman-remote 4.3 has none of them).
  if (ctx.remoteUri) {
    for (const f of ['build', 'context-dir', 'cert-dir', 'seccomp-profile-root']) if (changed.has(f)) throw new UsageError(`unknown flag: --${f}`);
  } else {
    if (opts.serviceContainer) o.serviceContainer = true;
    o.createCommand = commandLine();
    if (changed.has('build')) o.build = !!opts.build;
    o.contextDir = opts.contextDir || process.cwd();
    o.buildOutput = writeStdout;
  }
  const yaml = await readKubeFile(args[0]);
  if (opts.down) return teardown(ctx, yaml);
  const report = await ctx.engines.kube().play(yaml, o);
  let out = '';
  if (report.Volumes.length) out += `Volumes:\n${report.Volumes.map((v) => `${v.Name}\n`).join('')}`;
  for (const p of report.Pods) for (const l of p.Logs) writeStderr(l);
  let failed = 0;
  for (const p of report.Pods) {
    out += `Pod:\n${p.ID}\n`;
    if (p.Containers.length === 0) continue;
    out += `${p.Containers.length === 1 ? 'Container' : 'Containers'}:\n${p.Containers.map((c) => `${c}\n`).join('')}`;
    failed += p.ContainerErrors.length;
    if (p.ContainerErrors.length) out += '\n';
    writeStdout(out);
    out = '';
    for (const e of p.ContainerErrors) writeStderr(`${e}\n`);
    out += '\n';
  }
  writeStdout(out);
  if (failed > 0) throw new PierError(`failed to start ${failed} containers`);
}

function playCmd(name: string, example: string, hidden = false): CommandDef {
  return {
    name,
    hidden,
    summary: 'Play a pod or volume based on Kubernetes YAML.',
    description: 'Reads in a structured file of Kubernetes YAML.\n\n  Creates pods or volumes based on the Kubernetes kind described in the YAML. Supported kinds are Pods, Deployments and PersistentVolumeClaims.',
    usage: '[options] KUBEFILE|-',
    example,
    minArgs: 1,
    maxArgs: 1,
    flags: playFlags,
    run: runPlay,
  };
}

const downCmd: CommandDef = {
  name: 'down',
  summary: 'Remove pods based on Kubernetes YAML.',
  description: 'Reads in a structured file of Kubernetes YAML.\n\n  Removes pods that have been based on the Kubernetes kind described in the YAML.',
  usage: 'KUBEFILE|-',
  example: 'pier kube down nginx.yml\n   cat nginx.yml | pier kube down -\n   pier kube down https://example.com/nginx.yml',
  minArgs: 1,
  maxArgs: 1,
  async run(ctx: Ctx, args) {
    return teardown(ctx, await readKubeFile(args[0]));
  },
};

/** `generate kube` (and `kube generate`): the YAML on stdout, or in --filename. */
export function generateKubeCmd(): CommandDef {
  return {
    name: 'kube',
    summary: 'Generate Kubernetes YAML from containers, pods or volumes.',
    description: 'Command generates Kubernetes Pod, Service or PersistenVolumeClaim YAML (v1 specification) from pier containers, pods or volumes.\n\n  Whether the input is for a container or pod, pier will always generate the specification as a pod.',
    usage: '[options] {CONTAINER...|POD...|VOLUME...}',
    example: 'pier kube generate ctrID\n  pier kube generate podID\n  pier kube generate --service podID\n  pier kube generate volumeName\n  pier kube generate ctrID podID volumeName --service',
    minArgs: 1,
    flags: [
      { name: 'filename', short: 'f', type: 'string', help: 'Write output to the specified path' },
      { name: 'service', short: 's', type: 'bool', help: 'Generate YAML for a Kubernetes service object' },
    ],
    async run(ctx: Ctx, args, opts) {
      const text = await ctx.engines.kube().generate(args, { service: !!opts.service });
      const file: string = opts.filename ?? '';
      const changed: Set<string> = opts.changed ?? new Set();
      if (!changed.has('filename')) {
        // podman prints the text with Println: one more newline.
        writeStdout(`${text}\n`);
        return;
      }
      // podman refuses to overwrite a file.
      if (fs.existsSync(file)) throw new PierError(`cannot write to ${JSON.stringify(file)}; file exists`);
      try {
        fs.writeFileSync(file, text, { mode: 0o644 });
      } catch (e) {
        throw new PierError(`cannot write to ${JSON.stringify(file)}: open ${file}: ${errnoText(e)}`);
      }
    },
  };
}

export function kubeGroup(): CommandDef {
  return {
    name: 'kube',
    summary: 'Play containers, pods or volumes from a structured file',
    description: 'Play structured data (e.g., Kubernetes YAML) based on containers, pods or volumes.',
    usage: '[command]',
    subcommands: [
      downCmd,
      { ...generateKubeCmd(), name: 'generate' },
      playCmd('play', 'pier kube play nginx.yml\n  cat nginx.yml | pier kube play -\n  pier kube play --creds user:password apache.yml\n  pier kube play https://example.com/nginx.yml'),
    ],
  };
}

/** `pier play`: podman's hidden older command, with `kube` (hidden too) under it. */
export function playGroup(): CommandDef {
  return {
    name: 'play',
    hidden: true,
    summary: 'Play containers, pods or volumes from a structured file',
    description: 'Play structured data (e.g., Kubernetes YAML) based on containers, pods or volumes.',
    usage: '',
    subcommands: [playCmd('kube', 'pier play kube nginx.yml\n  cat nginx.yml | pier play kube -\n  pier play kube --creds user:password apache.yml\n  pier play kube https://example.com/nginx.yml', true)],
  };
}
