// `pier build` (also `image build`, `buildx build`): builds an image from a Containerfile or
// Dockerfile. The context is a directory, a tarball, or `-` (a tarball on stdin).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CommandDef } from '../parser';
import { Ctx } from '../context';
import type { BuildOptions } from '../../domain/build';
import { UsageError, PierError } from '../../util/errors';
import { authfileFlag, credsFlag, tlsVerifyFlag, registryOptions, checkAuthFile } from './images';
import { writeStdout } from '../../util/stdio';

function keyValues(list: string[], what: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of list) {
    const eq = item.indexOf('=');
    if (eq <= 0) {
      // --build-arg NAME takes the value from the environment, as docker does.
      if (what === 'build-arg' && eq < 0 && process.env[item] !== undefined) { out[item] = process.env[item]!; continue; }
      if (what === 'build-arg' && eq < 0) continue;
      throw new UsageError(`invalid --${what} "${item}": must be NAME=VALUE`);
    }
    out[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return out;
}

async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** Extracts a tarball context (a file, or stdin's bytes) into a private directory. */
async function extractContext(source: string | Buffer, tmp: string): Promise<string> {
  const { extractBuildContext } = require('../../build/context') as typeof import('../../build/context');
  const { Readable } = require('node:stream') as typeof import('node:stream');
  return extractBuildContext(typeof source === 'string' ? fs.createReadStream(source) : Readable.from([source]), tmp);
}

function buildCmd(name: string): CommandDef {
  return {
    name,
    summary: 'Build an image using instructions from Containerfiles',
    description: 'Builds an OCI or Docker image using instructions from one or more Containerfiles and a specified build context directory.',
    usage: '[options] [CONTEXT]',
    example: 'pier build .\npier build --tag imageName -f Containerfile.simple .\npier build --build-arg=VERSION=1.2 --target final --no-cache .',
    maxArgs: 1,
    flags: [
      { name: 'annotation', type: 'stringArray', help: 'Set metadata for an image (default [])' },
      { name: 'arch', type: 'string', help: 'set the ARCH of the image to the provided value instead of the architecture of the host' },
      authfileFlag,
      { name: 'build-arg', type: 'stringArray', valueName: 'argument=value', help: 'argument=value to supply to the builder' },
      { name: 'build-arg-file', type: 'stringArray', valueName: 'argfile.conf', help: 'argfile.conf containing lines of argument=value to supply to the builder' },
      { name: 'cert-dir', type: 'string', help: 'use certificates at the specified path to access the registry' },
      credsFlag,
      { name: 'file', short: 'f', type: 'stringArray', valueName: 'pathname or URL', help: 'pathname or URL of a Dockerfile' },
      { name: 'force-rm', type: 'bool', help: 'always remove intermediate containers after a build, even if the build is unsuccessful.' },
      { name: 'format', type: 'string', default: 'oci', help: "format of the built image's manifest and metadata. Use BUILDAH_FORMAT environment variable to override." },
      { name: 'iidfile', type: 'string', valueName: 'file', help: 'file to write the image ID to' },
      { name: 'ignorefile', type: 'string', help: 'path to an alternate .dockerignore file' },
      { name: 'label', type: 'stringArray', help: 'set metadata for an image (default [])' },
      { name: 'layers', type: 'bool', default: true, help: 'use intermediate layers during build. Use BUILDAH_LAYERS environment variable to override.' },
      { name: 'network', type: 'string', help: "sets the networking mode for the RUN instructions during build (host, none, or a network name)" },
      { name: 'no-cache', type: 'bool', help: 'do not use existing cached images for the container build. Build from the start with a new set of cached layers.' },
      { name: 'no-hosts', type: 'bool', help: 'do not create new /etc/hosts files for RUN instructions, use the one from the base image.' },
      { name: 'os', type: 'string', help: 'set the OS to the provided value instead of the current operating system of the host' },
      { name: 'platform', type: 'string', help: 'set the OS/ARCH[/VARIANT] of the image to the provided value instead of the current operating system and architecture of the host' },
      { name: 'pull', type: 'string', noOptDefault: 'always', default: 'missing', help: 'pull images: always, missing, never or newer' },
      { name: 'quiet', short: 'q', type: 'bool', help: 'refrain from announcing build instructions and image read/write progress' },
      { name: 'rm', type: 'bool', default: true, help: 'remove intermediate containers after a successful build' },
      { name: 'secret', type: 'stringArray', help: 'secret file to expose to the build' },
      { name: 'squash', type: 'bool', help: 'squash all image layers into a single layer' },
      { name: 'squash-all', type: 'bool', help: 'Squash all layers into a single layer' },
      { name: 'tag', short: 't', type: 'stringArray', valueName: 'name', help: 'tagged name to apply to the built image' },
      { name: 'target', type: 'string', help: 'set the target build stage to build' },
      { name: 'timestamp', type: 'int', help: 'set created timestamp to the specified epoch seconds to allow for deterministic builds, defaults to current time' },
      tlsVerifyFlag,
      { name: 'variant', type: 'string', help: 'override the variant of the specified image' },
    ],
    async run(ctx: Ctx, args, opts) {
      const format = String(opts.format ?? 'oci').toLowerCase();
      if (format !== 'oci' && format !== 'docker') throw new UsageError(`unrecognized image type "${opts.format}"`);
      const pull = opts.pull === 'true' ? 'always' : opts.pull === 'false' ? 'missing' : String(opts.pull);
      if (!['always', 'missing', 'never', 'newer'].includes(pull)) throw new UsageError(`invalid pull policy "${opts.pull}"`);
      checkAuthFile(opts.authfile);
      // --platform wins over --os/--arch/--variant, as in podman.
      let platform: string | undefined = opts.platform || undefined;
      if (!platform && (opts.arch || opts.os || opts.variant)) {
        const { buildHostPlatform } = require('../../build/platform') as typeof import('../../build/platform');
        const h = buildHostPlatform();
        platform = [opts.os || h.os, opts.arch || h.arch, opts.variant || (opts.arch ? '' : h.variant ?? '')].filter(Boolean).join('/');
      }
      if (opts.squash && opts.squashAll) throw new UsageError('cannot specify --squash and --squash-all together');
      const files: string[] = opts.file ?? [];
      if (files.length > 1) throw new UsageError('pier build accepts one --file');
      const buildArgs: Record<string, string> = {};
      for (const f of opts.buildArgFile ?? []) {
        const lines = fs.readFileSync(f, 'utf8').split('\n').map((l: string) => l.trim()).filter((l: string) => l && !l.startsWith('#'));
        Object.assign(buildArgs, keyValues(lines, 'build-arg'));
      }
      Object.assign(buildArgs, keyValues(opts.buildArg ?? [], 'build-arg'));
      const secrets: Record<string, string> = {};
      for (const s of opts.secret ?? []) {
        const kv = keyValues(s.split(','), 'secret');
        if (!kv.id || !(kv.src ?? kv.source)) throw new UsageError(`invalid secret "${s}": needs id= and src=`);
        secrets[kv.id] = kv.src ?? kv.source;
        if (!fs.existsSync(secrets[kv.id])) throw new UsageError(`secret ${kv.id}: ${secrets[kv.id]}: no such file or directory`);
      }
      const tmp = fs.mkdtempSync(path.join(ctx.globals.tmpdir || os.tmpdir(), 'pier-build-'));
      try {
        let contextDir: string;
        let containerfileText: string | undefined;
        const ctxArg = args[0] ?? '.';
        if (files[0] === '-') {
          if (ctxArg === '-') throw new UsageError('cannot read both the Containerfile and the context from stdin');
          containerfileText = (await readStdin()).toString('utf8');
        }
        if (ctxArg === '-') {
          // `build -` reads a context archive, or (as podman and docker) a bare Containerfile
          // with an empty context.
          const input = await readStdin();
          if (containerfileText === undefined && !looksLikeArchive(input)) {
            containerfileText = input.toString('utf8');
            contextDir = path.join(tmp, 'context');
            fs.mkdirSync(contextDir);
          } else {
            contextDir = await extractContext(input, tmp);
          }
        } else {
          if (!fs.existsSync(ctxArg)) throw new UsageError(`context directory ${path.resolve(ctxArg)}: no such file or directory`);
          contextDir = fs.statSync(ctxArg).isDirectory() ? path.resolve(ctxArg) : await extractContext(ctxArg, tmp);
        }
        const bo: BuildOptions = {
          contextDir, containerfile: files[0] && files[0] !== '-' ? path.resolve(files[0]) : undefined, containerfileText,
          tags: opts.tag ?? [], buildArgs, target: opts.target, layers: opts.layers !== false && process.env.BUILDAH_LAYERS !== 'false',
          noCache: !!opts.noCache, pull: pull as BuildOptions['pull'], squashAll: !!opts.squashAll, squash: !!opts.squash, format: format as 'oci' | 'docker',
          labels: keyValues(opts.label ?? [], 'label'), annotations: keyValues(opts.annotation ?? [], 'annotation'), secrets,
          noHosts: !!opts.noHosts, timestamp: opts.changed?.has('timestamp') ? Number(opts.timestamp) : undefined, quiet: !!opts.quiet,
          rm: opts.rm !== false, forceRm: !!opts.forceRm, platform, network: opts.network, ignoreFile: opts.ignorefile,
          registry: registryOptions(opts),
        };
        const { id } = await ctx.engines.build().build(bo, { write: (s) => writeStdout(s) });
        if (opts.iidfile) fs.writeFileSync(opts.iidfile, `sha256:${id}`);
      } catch (e) {
        if (e instanceof PierError) throw e;
        throw new PierError((e as Error).message);
      } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
      }
    },
  };
}

/** A tar archive (ustar magic at 257), or gzip, bzip2, xz or zstd data. */
function looksLikeArchive(b: Buffer): boolean {
  const starts = (...bytes: number[]) => bytes.every((x, i) => b[i] === x);
  return (b.length >= 262 && b.toString('latin1', 257, 262) === 'ustar')
    || starts(0x1f, 0x8b) || starts(0x42, 0x5a, 0x68) || starts(0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00) || starts(0x28, 0xb5, 0x2f, 0xfd);
}

export function buildCommand(): CommandDef {
  return buildCmd('build');
}

export function buildxGroup(): CommandDef {
  return {
    name: 'buildx',
    summary: 'Build images',
    hidden: true,
    description: 'Build images (docker buildx compatibility: `buildx build` is `build`)',
    usage: '[command]',
    subcommands: [buildCmd('build')],
  };
}

export { buildCmd };
