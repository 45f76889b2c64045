/**
 * Seccomp for containers: converting moby/containers-format profiles (the format of
 * /usr/share/containers/seccomp.json) into the OCI `linux.seccomp` object for a given
 * capability set and architecture, plus the default profile podman applies.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import { UsageError } from '../util/errors';
import { goArch } from '../util/arch';
import type { OciSeccomp, OciSeccompArg, OciSeccompSyscall } from './spec/types';

/** Where podman (containers-common) looks for its default profile, override first. */
export const SECCOMP_PROFILE_PATHS: readonly string[] = ['/etc/containers/seccomp.json', '/usr/share/containers/seccomp.json'];

interface ProfileFilter { caps?: string[] | null; arches?: string[] | null; minKernel?: string | null }

interface ProfileSyscall {
  name?: string;
  names?: string[] | null;
  action: string;
  errnoRet?: number | null;
  args?: Array<{ index: number; value: number; valueTwo?: number; op: string }> | null;
  comment?: string;
  includes?: ProfileFilter | null;
  excludes?: ProfileFilter | null;
}

/** A seccomp profile in moby/containers format (the OCI form is a subset of it). */
export interface SeccompProfile {
  defaultAction: string;
  defaultErrnoRet?: number | null;
  architectures?: string[] | null;
  archMap?: Array<{ architecture: string; subArchitectures?: string[] | null }> | null;
  flags?: string[] | null;
  listenerPath?: string;
  syscalls?: ProfileSyscall[] | null;
}

export interface ConvertOptions {
  /** The container's bounding capabilities (CAP_* names). */
  caps: readonly string[];
  /** Go architecture name (amd64, arm64, ...); default: this machine's. */
  arch?: string;
  /** Kernel version "major.minor" for minKernel filters; default: os.release(). */
  kernel?: string;
}

/** GOARCH → libseccomp's native architecture name. */
const SCMP_ARCH: Readonly<Record<string, string>> = {
  amd64: 'SCMP_ARCH_X86_64', '386': 'SCMP_ARCH_X86', arm64: 'SCMP_ARCH_AARCH64', arm: 'SCMP_ARCH_ARM',
  s390x: 'SCMP_ARCH_S390X', s390: 'SCMP_ARCH_S390', ppc64le: 'SCMP_ARCH_PPC64LE', ppc64: 'SCMP_ARCH_PPC64',
  mips64: 'SCMP_ARCH_MIPS64', mips64le: 'SCMP_ARCH_MIPSEL64', mips: 'SCMP_ARCH_MIPS', mipsle: 'SCMP_ARCH_MIPSEL',
  riscv64: 'SCMP_ARCH_RISCV64',
};

function kernelVersion(release: string): [number, number] {
  const m = /^(\d+)\.(\d+)/.exec(release);
  return m === null ? [0, 0] : [Number(m[1]), Number(m[2])];
}

function kernelAtLeast(kernel: [number, number], min: string): boolean {
  const [maj, mnr] = kernelVersion(min);
  return kernel[0] > maj || (kernel[0] === maj && kernel[1] >= mnr);
}

function normCap(c: string): string {
  const up = c.toUpperCase();
  return up.startsWith('CAP_') ? up : `CAP_${up}`;
}

/** Does this rule apply to a container with `caps` on `arch` and `kernel`? */
function ruleApplies(rule: ProfileSyscall, caps: Set<string>, arch: string, kernel: [number, number]): boolean {
  const ex = rule.excludes ?? {};
  if ((ex.arches ?? []).includes(arch)) return false;
  if ((ex.caps ?? []).some((c) => caps.has(normCap(c)))) return false;
  if (ex.minKernel && kernelAtLeast(kernel, ex.minKernel)) return false;
  const inc = rule.includes ?? {};
  if ((inc.arches ?? []).length > 0 && !(inc.arches ?? []).includes(arch)) return false;
  if ((inc.caps ?? []).some((c) => !caps.has(normCap(c)))) return false;
  if (inc.minKernel && !kernelAtLeast(kernel, inc.minKernel)) return false;
  return true;
}

/** Convert a parsed profile to the OCI `linux.seccomp` object. */
export function convertSeccompProfile(profile: SeccompProfile, opts: ConvertOptions): OciSeccomp {
  if (typeof profile.defaultAction !== 'string' || profile.defaultAction === '') throw new UsageError('seccomp profile has no defaultAction');
  const arch = opts.arch ?? goArch();
  const kernel = kernelVersion(opts.kernel ?? os.release());
  const caps = new Set(opts.caps.map(normCap));

  const out: OciSeccomp = { defaultAction: profile.defaultAction };
  if (profile.defaultErrnoRet != null) out.defaultErrnoRet = profile.defaultErrnoRet;

  const archList = profile.architectures ?? [];
  const archMap = profile.archMap ?? [];
  if (archList.length > 0 && archMap.length > 0) throw new UsageError("'architectures' and 'archMap' were specified in the seccomp profile, use either 'architectures' or 'archMap'");
  if (archList.length > 0) {
    out.architectures = [...archList];
  } else {
    const native = SCMP_ARCH[arch];
    const entry = archMap.find((a) => a.architecture === native);
    if (entry !== undefined) out.architectures = [entry.architecture, ...(entry.subArchitectures ?? [])];
  }
  if ((profile.flags ?? []).length > 0) out.flags = [...(profile.flags ?? [])];
  if (profile.listenerPath) out.listenerPath = profile.listenerPath;

  const syscalls: OciSeccompSyscall[] = [];
  for (const rule of profile.syscalls ?? []) {
    if (!ruleApplies(rule, caps, arch, kernel)) continue;
    const names = rule.names && rule.names.length > 0 ? [...rule.names] : rule.name ? [rule.name] : [];
    if (names.length === 0) throw new UsageError('seccomp profile rule has no syscall names');
    const sc: OciSeccompSyscall = { names, action: rule.action };
    if (rule.errnoRet != null) sc.errnoRet = rule.errnoRet;
    const args = (rule.args ?? []).map((a): OciSeccompArg => {
      const arg: OciSeccompArg = { index: a.index, value: a.value, op: a.op };
      if (a.valueTwo) arg.valueTwo = a.valueTwo;
      return arg;
    });
    if (args.length > 0) sc.args = args;
    syscalls.push(sc);
  }
  out.syscalls = syscalls;
  return out;
}

/** Load a profile file (moby/containers or OCI format) and convert it. */
export function loadSeccompProfile(path: string, opts: ConvertOptions): OciSeccomp {
  let profile: SeccompProfile;
  try {
    profile = JSON.parse(fs.readFileSync(path, 'utf8')) as SeccompProfile;
  } catch (err) {
    throw new UsageError(`loading seccomp profile (${path}) failed: ${(err as Error).message}`);
  }
  return convertSeccompProfile(profile, opts);
}

/** The default profile file podman would use, if installed. */
export function defaultSeccompPath(): string | undefined {
  return SECCOMP_PROFILE_PATHS.find((p) => fs.existsSync(p));
}

/** podman's default seccomp filter for `caps`: containers-common's profile, else pier's fallback. */
export function defaultSeccomp(caps: readonly string[], opts: Omit<ConvertOptions, 'caps'> = {}): OciSeccomp {
  const p = defaultSeccompPath();
  if (p !== undefined) return loadSeccompProfile(p, { ...opts, caps });
  return convertSeccompProfile(FALLBACK_PROFILE, { ...opts, caps });
}

const EPERM = 1;
const ENOSYS = 38;
const CLONE_NS_FLAGS = [0x00020000, 0x02000000, 0x04000000, 0x08000000, 0x10000000, 0x20000000, 0x40000000];

function blocked(names: string[], cap?: string, extra: Partial<ProfileSyscall> = {}): ProfileSyscall {
  return { names, action: 'SCMP_ACT_ERRNO', errnoRet: EPERM, ...(cap ? { excludes: { caps: [cap] } } : {}), ...extra };
}

/**
 * pier's own fallback when containers-common's profile is absent: allow by default and
 * refuse (EPERM) the syscalls that reach outside the container unless the matching
 * capability was granted. Namespace-creating clone/unshare need CAP_SYS_ADMIN; clone3 is
 * ENOSYS (its flags are out of reach of seccomp) so libc falls back to clone.
 */
export const FALLBACK_PROFILE: SeccompProfile = {
  defaultAction: 'SCMP_ACT_ALLOW',
  archMap: [
    { architecture: 'SCMP_ARCH_X86_64', subArchitectures: ['SCMP_ARCH_X86', 'SCMP_ARCH_X32'] },
    { architecture: 'SCMP_ARCH_AARCH64', subArchitectures: ['SCMP_ARCH_ARM'] },
    { architecture: 'SCMP_ARCH_S390X', subArchitectures: ['SCMP_ARCH_S390'] },
  ],
  syscalls: [
    blocked(['add_key', 'bdflush', 'create_module', 'get_kernel_syms', 'kexec_file_load', 'kexec_load', 'keyctl',
      'nfsservctl', 'request_key', 'sysfs', '_sysctl', 'uselib', 'userfaultfd', 'ustat', 'vm86', 'vm86old']),
    blocked(['bpf', 'fanotify_init', 'lookup_dcookie', 'mount', 'mount_setattr', 'move_mount', 'fsopen', 'fsmount',
      'fspick', 'open_tree', 'perf_event_open', 'pivot_root', 'quotactl', 'setdomainname', 'sethostname', 'setns',
      'swapoff', 'swapon', 'umount', 'umount2'], 'CAP_SYS_ADMIN'),
    ...CLONE_NS_FLAGS.flatMap((flag) => [
      blocked(['unshare'], 'CAP_SYS_ADMIN', { args: [{ index: 0, value: flag, valueTwo: flag, op: 'SCMP_CMP_MASKED_EQ' }] }),
      blocked(['clone'], 'CAP_SYS_ADMIN', { args: [{ index: 0, value: flag, valueTwo: flag, op: 'SCMP_CMP_MASKED_EQ' }], excludes: { caps: ['CAP_SYS_ADMIN'], arches: ['s390', 's390x'] } }),
    ]),
    { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: ENOSYS, excludes: { caps: ['CAP_SYS_ADMIN'] } },
    blocked(['open_by_handle_at', 'name_to_handle_at'], 'CAP_DAC_READ_SEARCH'),
    blocked(['delete_module', 'finit_module', 'init_module', 'query_module'], 'CAP_SYS_MODULE'),
    blocked(['acct'], 'CAP_SYS_PACCT'),
    blocked(['kcmp', 'process_madvise', 'process_vm_readv', 'process_vm_writev'], 'CAP_SYS_PTRACE'),
    blocked(['ptrace'], 'CAP_SYS_PTRACE', { excludes: { caps: ['CAP_SYS_PTRACE'], minKernel: '4.8' } }),
    blocked(['ioperm', 'iopl'], 'CAP_SYS_RAWIO'),
    blocked(['clock_adjtime', 'clock_adjtime64', 'clock_settime', 'clock_settime64', 'settimeofday', 'stime'], 'CAP_SYS_TIME'),
    blocked(['reboot'], 'CAP_SYS_BOOT'),
    blocked(['vhangup'], 'CAP_SYS_TTY_CONFIG'),
    blocked(['syslog'], 'CAP_SYSLOG'),
    blocked(['get_mempolicy', 'mbind', 'migrate_pages', 'move_pages', 'set_mempolicy'], 'CAP_SYS_NICE'),
  ],
};
