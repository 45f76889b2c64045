// `image sign` and `image trust show|set`: simple signing of registry images and the trust
// policy (policy.json) as podman manages them. Local engines only (podman-remote refuses them).
import { CommandDef, Opts } from '../parser';
import { Ctx } from '../context';
import type { ImageEngine } from '../../domain/images';
import { PierError } from '../../util/errors';
import { tabwriter } from '../format/tabwriter';
import { authfileFlag } from './images';
import { splitCSV } from './container-flags';

type SigningEngine = Required<Pick<ImageEngine, 'sign' | 'trustShow' | 'trustSet'>>;

function engine(ctx: Ctx): SigningEngine {
  const e = ctx.images();
  if (!e.sign || !e.trustShow || !e.trustSet) throw new PierError('signing and trust policies are not supported by this engine');
  return e as SigningEngine;
}

export const imageSignCmd: CommandDef = {
  name: 'sign',
  summary: 'Sign an image',
  description: 'Create a signature file that can be used later to verify the image.',
  usage: '[options] IMAGE [IMAGE...]',
  example: 'pier image sign --sign-by mykey imageID\npier image sign --sign-by mykey --directory ./mykeydir imageID',
  flags: [
    { name: 'all', short: 'a', type: 'bool', help: 'Sign all the manifests of the multi-architecture image' },
    authfileFlag,
    { name: 'cert-dir', type: 'string', valueName: 'Pathname', help: 'Pathname of a directory containing TLS certificates and keys' },
    { name: 'directory', short: 'd', type: 'string', help: 'Define an alternate directory to store signatures' },
    { name: 'sign-by', type: 'string', help: 'Name of the signing key' },
  ],
  minArgs: 1,
  async run(ctx: Ctx, args: string[], opts: Opts) {
    if (!opts.signBy) throw new PierError('please provide an identity');
    await engine(ctx).sign(args, {
      signBy: opts.signBy, directory: opts.directory || undefined, certDir: opts.certDir || undefined,
      authfile: opts.authfile || undefined, all: !!opts.all,
    });
  },
};

const trustShowCmd: CommandDef = {
  name: 'show',
  summary: 'Display trust policy for the system',
  description: 'Display trust policy for the system',
  usage: '[options] [REGISTRY]',
  flags: [
    { name: 'json', short: 'j', type: 'bool', help: 'Output as json' },
    { name: 'noheading', short: 'n', type: 'bool', help: 'Do not print column headings' },
    { name: 'policypath', type: 'string', help: '', hidden: true },
    { name: 'raw', type: 'bool', help: 'Output raw policy file' },
    { name: 'registrypath', type: 'string', help: '', hidden: true },
  ],
  maxArgs: 1,
  async run(ctx: Ctx, _args: string[], opts: Opts) {
    const r = await engine(ctx).trustShow({ policyPath: opts.policypath || undefined, registriesDir: opts.registrypath || undefined, raw: !!opts.raw });
    if (opts.raw) { ctx.out(r.raw + '\n'); return; }
    if (opts.json) { ctx.out(JSON.stringify(r.entries, null, 2)); return; }
    const rows = r.entries.map((e) => [e.transport, e.repo_name ?? '', e.type, e.gpg_id ?? '', e.sigstore ?? '']);
    if (!opts.noheading) rows.unshift(['TRANSPORT', 'NAME', 'TYPE', 'ID', 'STORE']);
    if (rows.length) ctx.out(tabwriter(rows));
  },
};

const trustSetCmd: CommandDef = {
  name: 'set',
  summary: 'Set default trust policy or a new trust policy for a registry',
  description: 'Set default trust policy or add a new trust policy for a registry',
  usage: '[options] REGISTRY',
  flags: [
    { name: 'policypath', type: 'string', help: '', hidden: true },
    {
      name: 'pubkeysfile', short: 'f', type: 'stringArray', valueName: 'strings',
      help: 'Path of installed public key(s) to trust for TARGET.\nAbsolute path to keys is added to policy.json. May\nused multiple times to define multiple public keys.\nFile(s) must exist before using this command',
    },
    { name: 'type', short: 't', type: 'string', default: 'signedBy', help: 'Trust type, accept values: signedBy(default), accept, reject' },
  ],
  minArgs: 1,
  maxArgs: 1,
  async run(ctx: Ctx, args: string[], opts: Opts) {
    await engine(ctx).trustSet(args[0], { policyPath: opts.policypath || undefined, type: String(opts.type ?? 'signedBy'), pubKeysFiles: splitCSV(opts.pubkeysfile) });
  },
};

export function imageTrustGroup(): CommandDef {
  return {
    name: 'trust',
    summary: 'Manage container image trust policy',
    description: 'Manages which registries you trust as a source of container images based on their location.\nThe location is determined by the transport and the registry host of the image.  Using this container image docker://quay.io/podman/stable as an example, docker is the transport and quay.io is the registry host.',
    usage: '[command]',
    subcommands: [trustSetCmd, trustShowCmd],
  };
}
