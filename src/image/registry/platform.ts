// Choosing an image from a manifest list / OCI index for a platform, with Go-style name
// normalisation (x86_64→amd64, aarch64→arm64, armhf→arm/v7, ...) and the variant
// compatibility order containers/image uses (arm/v8 can run v7, v6, v5 images...).
import * as os from 'node:os';
import { PierError } from '../../util/errors';

export interface PlatformSpec {
  os?: string;
  arch?: string;
  variant?: string;
}

export interface IndexEntry {
  mediaType?: string;
  digest: string;
  size?: number;
  platform?: {
    os?: string;
    architecture?: string;
    variant?: string;
    'os.version'?: string;
    'os.features'?: string[];
    features?: string[];
  };
  annotations?: Record<string, string>;
}

export interface ManifestIndex {
  mediaType?: string;
  manifests?: IndexEntry[];
}

/** Normalise an architecture name and variant the way Go tooling spells them. */
export function normalizeArch(arch: string, variant = ''): { arch: string; variant: string } {
  let a = arch.toLowerCase();
  let v = variant.toLowerCase();
  switch (a) {
    case 'i386':
    case 'i686':
    case 'x86':
      a = '386';
      v = '';
      break;
    case 'x86_64':
    case 'x86-64':
    case 'amd64':
    case 'x64':
      a = 'amd64';
      if (v === 'v1') v = '';
      break;
    case 'aarch64':
    case 'arm64':
      a = 'arm64';
      if (v === '8' || v === 'v8') v = '';
      break;
    case 'armhf':
      a = 'arm';
      v = 'v7';
      break;
    case 'armel':
      a = 'arm';
      v = 'v6';
      break;
    case 'arm':
      if (v === '' || v === '7') v = 'v7';
      else if (/^[5-8]$/.test(v)) v = 'v' + v;
      break;
    case 'ppc64el':
      a = 'ppc64le';
      break;
  }
  return { arch: a, variant: v };
}

export function normalizeOS(o: string): string {
  const l = o.toLowerCase();
  return l === 'macos' ? 'darwin' : l;
}

/** The platform this process runs on, as an image platform (linux/amd64, linux/arm64, ...). */
export function hostPlatform(): { os: string; arch: string; variant?: string } {
  const map: Record<string, string> = { x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm', s390x: 's390x', riscv64: 'riscv64', mips: 'mips', mipsel: 'mipsle', loong64: 'loong64' };
  let arch = map[process.arch] ?? process.arch;
  if (process.arch === 'ppc64') arch = os.endianness() === 'LE' ? 'ppc64le' : 'ppc64';
  let variant: string | undefined;
  if (arch === 'arm') {
    const v = (process.config.variables as unknown as Record<string, unknown>).arm_version;
    variant = v ? `v${String(v)}` : 'v7';
  }
  return { os: process.platform === 'win32' ? 'windows' : process.platform, arch, variant };
}

/** Variants an arch can run, most preferred first (containers/image's compatibility table). */
const COMPATIBILITY: Record<string, string[]> = {
  arm: ['v8', 'v7', 'v6', 'v5'],
  arm64: ['v8'],
};

interface Wanted {
  os: string;
  arch: string;
  variants: string[];
}

/** The acceptable (os, arch, variant) combinations, best first, after normalisation. */
export function wantedPlatforms(want: PlatformSpec = {}): Wanted {
  const host = hostPlatform();
  const explicitArch = want.arch !== undefined && want.arch !== '';
  const rawArch = explicitArch ? (want.arch as string) : host.arch;
  const rawVariant = want.variant ? want.variant : explicitArch ? '' : host.variant ?? '';
  const { arch, variant } = normalizeArch(rawArch, rawVariant);
  // arm64/v8 normalises to "" – keep the compatibility table in the same spelling.
  const norm = (v: string): string => normalizeArch(arch, v).variant;
  const order = (COMPATIBILITY[arch] ?? []).map(norm);
  let variants: string[];
  if (variant !== '') {
    const i = order.indexOf(variant);
    variants = i === -1 ? [variant] : order.slice(i);
    variants.push('');
  } else {
    variants = ['', ...order];
  }
  return { os: normalizeOS(want.os || host.os), arch, variants: [...new Set(variants)] };
}

/**
 * Pick the index entry for a platform (default: the host's), or undefined when none fits.
 * Entries are tried in variant-preference order, and in index order within one variant.
 */
export function selectPlatform(index: ManifestIndex, want: PlatformSpec = {}): IndexEntry | undefined {
  const w = wantedPlatforms(want);
  const entries = (index.manifests ?? []).filter((m) => m.platform && m.platform.architecture && m.platform.os);
  for (const variant of w.variants) {
    for (const m of entries) {
      const p = m.platform!;
      if (normalizeOS(p.os!) !== w.os) continue;
      const n = normalizeArch(p.architecture!, p.variant ?? '');
      if (n.arch === w.arch && n.variant === variant) return m;
    }
  }
  return undefined;
}

/** The platform wanted, as containers/image 5.23 names it in errors: `architecture amd64, variant "", OS linux`. */
export function wantedPlatformText(want: PlatformSpec = {}): string {
  const w = wantedPlatforms(want);
  return `architecture ${w.arch}, variant "${w.variants[0]}", OS ${w.os}`;
}

/** selectPlatform that throws containers/image's error when nothing matches. */
export function choosePlatform(index: ManifestIndex, want: PlatformSpec = {}): IndexEntry {
  const hit = selectPlatform(index, want);
  if (hit) return hit;
  const w = wantedPlatforms(want);
  const kind = index.mediaType === 'application/vnd.oci.image.index.v1+json' ? 'image index' : 'manifest list';
  throw new PierError(`no image found in ${kind} for architecture "${w.arch}", variant "${w.variants[0]}", OS "${w.os}"`);
}

/**
 * containerd's platform matching as libimage's matchesPlatform does it: both platforms parsed
 * (empty parts: the host's os and arch) and normalised, then compared exactly. Undefined when they
 * match, else libimage's error text, with each platform as Go prints a v1.Platform.
 */
export function platformMismatch(image: PlatformSpec, expected: PlatformSpec): string | undefined {
  const host = hostPlatform();
  const parse = (p: PlatformSpec) => {
    const { arch, variant } = normalizeArch(p.arch || host.arch, p.variant ?? '');
    return { os: normalizeOS(p.os || host.os), arch, variant };
  };
  const a = parse(image);
  const b = parse(expected);
  if (a.os === b.os && a.arch === b.arch && a.variant === b.variant) return undefined;
  const text = (p: { os: string; arch: string; variant: string }) => `{${p.arch} ${p.os}  [] ${p.variant}}`;
  return `image platform (${text(a)}) does not match the expected platform (${text(b)})`;
}
