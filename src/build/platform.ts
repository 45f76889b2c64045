// Platforms in a build: `--platform os/arch[/variant]` (and `FROM --platform=`), the automatic
// platform build args (TARGETPLATFORM, TARGETOS, TARGETARCH, TARGETVARIANT and the BUILD*
// ones for the host), and whether a local image fits a wanted platform.
import { hostPlatform, normalizeArch, normalizeOS } from '../image/registry/platform';
import { UsageError } from '../util/errors';

export interface BuildPlatform {
  os: string;
  arch: string;
  variant?: string;
}

/** Parses `os/arch[/variant]` (Go names; x86_64, aarch64... normalised). */
export function parsePlatform(s: string): BuildPlatform {
  const parts = s.trim().split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => !p)) {
    throw new UsageError(`invalid platform syntax for --platform=${JSON.stringify(s)}: use one of the following formats: OS/ARCH, OS/ARCH/VARIANT`);
  }
  const { arch, variant } = normalizeArch(parts[1], parts[2] ?? '');
  return { os: normalizeOS(parts[0]), arch, ...(variant ? { variant } : {}) };
}

export function buildHostPlatform(): BuildPlatform {
  const h = hostPlatform();
  const { arch, variant } = normalizeArch(h.arch, h.variant ?? '');
  return { os: h.os, arch, ...(variant ? { variant } : {}) };
}

export function platformString(p: BuildPlatform): string {
  return [p.os, p.arch, p.variant].filter(Boolean).join('/');
}

/** The predefined platform ARGs: global by default, visible in a stage once declared with ARG. */
export function platformArgs(target: BuildPlatform, build: BuildPlatform): Record<string, string> {
  return {
    TARGETPLATFORM: platformString(target), TARGETOS: target.os, TARGETARCH: target.arch, TARGETVARIANT: target.variant ?? '',
    BUILDPLATFORM: platformString(build), BUILDOS: build.os, BUILDARCH: build.arch, BUILDVARIANT: build.variant ?? '',
  };
}

/** Whether an image config's os/architecture/variant fit `want` (a variant only counts when wanted). */
export function imageFits(cfg: { os?: string; architecture?: string; variant?: string }, want: BuildPlatform): boolean {
  if (!cfg.architecture && !cfg.os) return true;
  if (cfg.os && normalizeOS(cfg.os) !== want.os) return false;
  if (!cfg.architecture) return true;
  const n = normalizeArch(cfg.architecture, cfg.variant ?? '');
  if (n.arch !== want.arch) return false;
  return !want.variant || !n.variant || n.variant === want.variant;
}
