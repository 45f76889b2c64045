// `pier manifest`: manifest lists and image indexes kept in the store, as podman 4.3's
// `podman manifest` commands (create, add, annotate, inspect, push, remove, rm, exists). They only
// call the ImageEngine (local or remote) and print what podman prints.
import * as fs from 'node:fs';
import { CommandDef, FlagDef, Opts } from '../parser';
import { Ctx } from '../context';
import type { ManifestAddOptions } from '../../domain/images';
import { PierError, UsageError } from '../../util/errors';
import { authfileFlag, checkAuthFile, failJoined, registryOptions, signingOptions } from './images';
import { splitCSV } from './container-flags';
import { stderrProgress } from '../progress';

const tlsVerify: FlagDef = { name: 'tls-verify', type: 'bool', default: true, help: 'require HTTPS and verify certificates when accessing the registry' };
const insecure: FlagDef = { name: 'insecure', type: 'bool', help: 'neither require HTTPS nor verify certificates when accessing the registry', hidden: true };
const authfile: FlagDef = { ...authfileFlag, help: 'path of the authentication file. Use REGISTRY_AUTH_FILE environment variable to override' };
const certDir: FlagDef = { name: 'cert-dir', type: 'string', help: 'use certificates at the specified path to access the registry' };
const creds: FlagDef = { name: 'creds', type: 'string', valueName: '[username[:password]]', help: 'use [username[:password]] for accessing the registry' };
const annotation: FlagDef = { name: 'annotation', type: 'stringArray', valueName: 'annotation', help: 'set an annotation for the specified image' };
const arch: FlagDef = { name: 'arch', type: 'string', valueName: 'architecture', help: 'override the architecture of the specified image' };
const features: FlagDef = { name: 'features', type: 'stringArray', valueName: 'features', help: 'override the features of the specified image' };
const os: FlagDef = { name: 'os', type: 'string', valueName: 'OS', help: 'override the OS of the specified image' };
const osVersion: FlagDef = { name: 'os-version', type: 'string', valueName: 'version', help: 'override the OS version of the specified image' };
const variant: FlagDef = { name: 'variant', type: 'string', valueName: 'Variant', help: 'override the Variant of the specified image' };

/** pflag's StringSlice (CSV records, quotes keep commas); none given: undefined. */
function slice(v: string[] | undefined): string[] | undefined {
  const out = splitCSV(v);
  return out.length ? out : undefined;
}

/** --tls-verify (when given) and the hidden --insecure, as podman's manifest commands take them. */
function tlsOption(opts: Opts): { tlsVerify?: boolean } {
  const given = opts.changed?.has('tls-verify');
  if (opts.changed?.has('insecure')) {
    if (given) throw new PierError('--insecure may not be used with --tls-verify');
    return { tlsVerify: !opts.insecure };
  }
  return given ? { tlsVerify: !!opts.tlsVerify } : {};
}

/** Registry options of add and push: --authfile, --cert-dir, --creds and TLS. */
function registryFlags(opts: Opts): ManifestAddOptions {
  checkAuthFile(opts.authfile);
  const r = registryOptions({ ...opts, changed: new Set() });
  delete r.tlsVerify;
  return { ...r, ...tlsOption(opts) };
}

const createCmd: CommandDef = {
  name: 'create',
  summary: 'Create manifest list or image index',
  description: 'Creates manifest lists or image indexes.',
  usage: '[options] LIST [IMAGE...]',
  example: [
    'pier manifest create mylist:v1.11',
    'pier manifest create mylist:v1.11 arch-specific-image-to-add',
    'pier manifest create mylist:v1.11 arch-specific-image-to-add another-arch-specific-image-to-add',
    'pier manifest create --all mylist:v1.11 transport:tagged-image-to-add',
  ].join('\n'),
  flags: [
    { name: 'all', type: 'bool', help: "add all of the lists' images if the images to add are lists" },
    { name: 'amend', short: 'a', type: 'bool', help: 'modify an existing list if one with the desired name already exists' },
    insecure,
    tlsVerify,
  ],
  minArgs: 1,
  async run(ctx: Ctx, args, opts) {
    const id = await ctx.images().manifestCreate(args[0], args.slice(1), { all: !!opts.all, amend: !!opts.amend, ...tlsOption(opts) });
    ctx.out(id);
  },
};

const addCmd: CommandDef = {
  name: 'add',
  summary: 'Add images to a manifest list or image index',
  description: 'Adds an image to a manifest list or image index.',
  usage: '[options] LIST IMAGE [IMAGE...]',
  example: 'pier manifest add mylist:v1.11 image:v1.11-amd64\n\t\tpier manifest add mylist:v1.11 transport:imageName',
  flags: [
    { name: 'all', type: 'bool', help: "add all of the list's images if the image is a list" },
    annotation, arch, authfile, certDir, creds, features, os, osVersion, insecure, tlsVerify, variant,
  ],
  minArgs: 2,
  async run(ctx: Ctx, args, opts) {
    const id = await ctx.images().manifestAdd(args[0], args.slice(1), {
      ...registryFlags(opts), all: !!opts.all, annotations: slice(opts.annotation), arch: opts.arch || undefined, features: slice(opts.features),
      os: opts.os || undefined, osVersion: opts.osVersion || undefined, variant: opts.variant || undefined,
    });
    ctx.out(id);
  },
};

const annotateCmd: CommandDef = {
  name: 'annotate',
  summary: 'Add or update information about an entry in a manifest list or image index',
  description: 'Adds or updates information about an entry in a manifest list or image index.',
  usage: '[options] LIST IMAGE',
  example: 'pier manifest annotate --annotation left=right mylist:v1.11 image:v1.11-amd64',
  flags: [
    annotation, arch, features, os,
    { name: 'os-features', type: 'stringArray', valueName: 'features', help: 'override the OS features of the specified image' },
    osVersion, variant,
  ],
  minArgs: 2,
  maxArgs: 2,
  async run(ctx: Ctx, args, opts) {
    // podman 4.3 takes --os-features but does not pass it on (its annotate sets no OS features).
    const id = await ctx.images().manifestAnnotate(args[0], args[1], {
      annotations: slice(opts.annotation), arch: opts.arch || undefined, features: slice(opts.features), os: opts.os || undefined,
      osVersion: opts.osVersion || undefined, variant: opts.variant || undefined,
    });
    ctx.out(id);
  },
};

const inspectCmd: CommandDef = {
  name: 'inspect',
  summary: 'Display the contents of a manifest list or image index',
  description: 'Display the contents of a manifest list or image index.',
  usage: 'IMAGE',
  example: 'pier manifest inspect localhost/list',
  minArgs: 1,
  maxArgs: 1,
  async run(ctx: Ctx, args) {
    ctx.out(await ctx.images().manifestInspect(args[0]));
  },
};

const SIGN_FLAGS: FlagDef[] = [
  { name: 'sign-by', type: 'string', valueName: 'FINGERPRINT', help: 'sign the image using a GPG key with the specified FINGERPRINT' },
  { name: 'sign-by-sigstore-private-key', type: 'string', valueName: 'PATH', help: 'Sign the image using a sigstore private key at PATH' },
  { name: 'sign-passphrase-file', type: 'string', valueName: 'PATH', help: 'Read a passphrase for signing an image from PATH' },
];

const pushCmd: CommandDef = {
  name: 'push',
  summary: 'Push a manifest list or image index to a registry',
  description: 'Pushes manifest lists and image indexes to registries.',
  usage: '[options] LIST DESTINATION',
  example: 'pier manifest push mylist:v1.11 docker://quay.io/myuser/image:v1.11',
  flags: [
    { name: 'all', type: 'bool', default: true, help: 'also push the images in the list' },
    authfile, certDir,
    { name: 'compression-format', type: 'string', help: 'compression format to use' },
    creds,
    { name: 'digestfile', type: 'string', help: 'after copying the image, write the digest of the resulting digest to the file' },
    { name: 'format', short: 'f', type: 'string', help: 'manifest type (oci or v2s2) to attempt to use when pushing the manifest list (default is manifest type of source)' },
    insecure,
    { name: 'quiet', short: 'q', type: 'bool', help: "don't output progress information when pushing lists" },
    { name: 'remove-signatures', type: 'bool', help: "don't copy signatures when pushing images" },
    { name: 'rm', type: 'bool', help: 'remove the manifest list if push succeeds' },
    ...SIGN_FLAGS,
    tlsVerify,
  ],
  minArgs: 2,
  maxArgs: 2,
  async run(ctx: Ctx, args, opts) {
    const reg = registryFlags(opts);
    if (!args[0]) throw new PierError(`invalid image name "${args[0]}"`);
    if (!args[1]) throw new PierError(`invalid destination "${args[1]}"`);
    const signing = await signingOptions(ctx, opts);
    let format: 'oci' | 'v2s2' | undefined;
    if (opts.format) {
      if (!['oci', 'v2s2', 'docker'].includes(opts.format)) {
        throw new UsageError(`unknown format "${opts.format}". Choose one of the supported formats: 'oci' or 'v2s2'`);
      }
      format = opts.format === 'oci' ? 'oci' : 'v2s2';
    }
    if (opts.compressionFormat && opts.compressionFormat !== 'gzip') {
      throw new PierError(`unsupported compression format "${opts.compressionFormat}": only gzip is supported`);
    }
    const digest = await ctx.images().manifestPush(args[0], args[1], {
      ...reg, all: opts.all !== false, format, rm: !!opts.rm, progress: opts.quiet ? undefined : stderrProgress(),
      removeSignatures: !!opts.removeSignatures, ...signing,
    });
    if (opts.digestfile) fs.writeFileSync(opts.digestfile, digest, { mode: 0o644 });
  },
};

const removeCmd: CommandDef = {
  name: 'remove',
  summary: 'Remove an entry from a manifest list or image index',
  description: 'Removes an image from a manifest list or image index.',
  usage: 'LIST IMAGE',
  example: 'pier manifest remove mylist:v1.11 sha256:15352d97781ffdf357bf3459c037be3efac4133dc9070c2dce7eca7c05c3e736',
  minArgs: 2,
  maxArgs: 2,
  async run(ctx: Ctx, args) {
    let id: string;
    try {
      id = await ctx.images().manifestRemove(args[0], args[1]);
    } catch (e) {
      throw new PierError(`removing from manifest list ${args[0]}: ${(e as Error).message}`, (e as PierError).exitCode);
    }
    ctx.out(id);
  },
};

const rmCmd: CommandDef = {
  name: 'rm',
  summary: 'Remove manifest list or image index from local storage',
  description: 'Remove manifest list or image index from local storage.',
  usage: 'LIST [LIST...]',
  example: 'pier manifest rm mylist:v1.11',
  minArgs: 1,
  async run(ctx: Ctx, args) {
    const report = await ctx.images().manifestRm(args);
    const lines = [...report.untagged.map((u) => `Untagged: ${u}`), ...report.deleted.map((d) => `Deleted: ${d}`)];
    if (lines.length) ctx.out(lines.join('\n'));
    if (report.errors.length) failJoined(report.errors, report.exitCode || 125);
  },
};

const existsCmd: CommandDef = {
  name: 'exists',
  summary: 'Check if a manifest list exists in local storage',
  description: 'If the manifest list exists in local storage, pier manifest exists exits with 0, otherwise the exit code will be 1.',
  usage: 'MANIFEST',
  example: 'pier manifest exists mylist',
  minArgs: 1,
  maxArgs: 1,
  async run(ctx: Ctx, args) {
    return (await ctx.images().manifestExists(args[0])) ? 0 : 1;
  },
};

/** `pier manifest` and its subcommands. */
export function manifestGroup(): CommandDef {
  return {
    name: 'manifest',
    summary: 'Manipulate manifest lists and image indexes',
    description: 'Creates, modifies, and pushes manifest lists and image indexes.',
    usage: '[command]',
    example: [
      'pier manifest add mylist:v1.11 image:v1.11-amd64',
      'pier manifest create localhost/list',
      'pier manifest inspect localhost/list',
      'pier manifest annotate --annotation left=right mylist:v1.11 image:v1.11-amd64',
      'pier manifest push mylist:v1.11 docker://quay.io/myuser/image:v1.11',
      'pier manifest remove mylist:v1.11 sha256:15352d97781ffdf357bf3459c037be3efac4133dc9070c2dce7eca7c05c3e736',
      'pier manifest rm mylist:v1.11',
    ].join('\n'),
    subcommands: [addCmd, annotateCmd, createCmd, existsCmd, inspectCmd, pushCmd, removeCmd, rmCmd],
  };
}
