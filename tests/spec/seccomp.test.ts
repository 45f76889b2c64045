import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  convertSeccompProfile, defaultSeccomp, defaultSeccompPath, FALLBACK_PROFILE, loadSeccompProfile, type SeccompProfile,
} from '../../src/engine/seccomp';
import { DEFAULT_CAPABILITIES } from '../../src/engine/spec';

const PROFILE: SeccompProfile = {
  defaultAction: 'SCMP_ACT_ERRNO',
  defaultErrnoRet: 38,
  archMap: [
    { architecture: 'SCMP_ARCH_X86_64', subArchitectures: ['SCMP_ARCH_X86', 'SCMP_ARCH_X32'] },
    { architecture: 'SCMP_ARCH_AARCH64', subArchitectures: ['SCMP_ARCH_ARM'] },
  ],
  syscalls: [
    { names: ['read', 'write'], action: 'SCMP_ACT_ALLOW', args: [], comment: '', includes: {}, excludes: {} },
    { names: ['kexec_load'], action: 'SCMP_ACT_ERRNO', errnoRet: 1, includes: {}, excludes: {} },
    { name: 'oldstyle', action: 'SCMP_ACT_ALLOW' },
    { names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 8, valueTwo: 0, op: 'SCMP_CMP_EQ' }] },
    { names: ['arch_prctl'], action: 'SCMP_ACT_ALLOW', includes: { arches: ['amd64', 'x32'] } },
    { names: ['arm_only'], action: 'SCMP_ACT_ALLOW', includes: { arches: ['arm64'] } },
    { names: ['not_on_amd64'], action: 'SCMP_ACT_ALLOW', excludes: { arches: ['amd64'] } },
    { names: ['chroot'], action: 'SCMP_ACT_ALLOW', includes: { caps: ['CAP_SYS_CHROOT'] } },
    { names: ['chroot'], action: 'SCMP_ACT_ERRNO', errnoRet: 1, excludes: { caps: ['CAP_SYS_CHROOT'] } },
    { names: ['both_caps'], action: 'SCMP_ACT_ALLOW', includes: { caps: ['CAP_SYS_ADMIN', 'CAP_SYS_CHROOT'] } },
    { names: ['new_kernel'], action: 'SCMP_ACT_ALLOW', includes: { minKernel: '5.8' } },
    { names: ['old_kernel_only'], action: 'SCMP_ACT_ERRNO', excludes: { minKernel: '4.8' } },
    { names: ['masked'], action: 'SCMP_ACT_ERRNO', errnoRet: 22, args: [{ index: 0, value: 16, op: 'SCMP_CMP_MASKED_EQ', valueTwo: 16 }] },
  ],
};

function names(s: ReturnType<typeof convertSeccompProfile>): string[] {
  return (s.syscalls ?? []).flatMap((c) => c.names);
}

test('converts a moby-format profile for amd64 with default caps', () => {
  const s = convertSeccompProfile(PROFILE, { caps: DEFAULT_CAPABILITIES, arch: 'amd64', kernel: '6.1.0' });
  assert.equal(s.defaultAction, 'SCMP_ACT_ERRNO');
  assert.equal(s.defaultErrnoRet, 38);
  assert.deepEqual(s.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
  assert.deepEqual(s.syscalls![0], { names: ['read', 'write'], action: 'SCMP_ACT_ALLOW' });
  assert.deepEqual(s.syscalls![1], { names: ['kexec_load'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 });
  assert.deepEqual(s.syscalls![3], { names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 8, op: 'SCMP_CMP_EQ' }] });
  const n = names(s);
  assert.ok(n.includes('oldstyle'));
  assert.ok(n.includes('arch_prctl'));
  assert.ok(!n.includes('arm_only'));
  assert.ok(!n.includes('not_on_amd64'));
  assert.ok(n.includes('new_kernel'));
  assert.ok(!n.includes('old_kernel_only'));
  assert.ok(!n.includes('both_caps'), 'includes.caps needs every listed capability');
  const chroot = s.syscalls!.filter((c) => c.names.includes('chroot'));
  assert.deepEqual(chroot, [{ names: ['chroot'], action: 'SCMP_ACT_ALLOW' }]);
  const masked = s.syscalls!.find((c) => c.names.includes('masked'))!;
  assert.deepEqual(masked.args, [{ index: 0, value: 16, valueTwo: 16, op: 'SCMP_CMP_MASKED_EQ' }]);
});

test('capabilities, architecture and kernel switch rules', () => {
  const noChroot = convertSeccompProfile(PROFILE, { caps: ['CAP_KILL'], arch: 'arm64', kernel: '4.4' });
  assert.deepEqual(noChroot.architectures, ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM']);
  assert.deepEqual(noChroot.syscalls!.filter((c) => c.names.includes('chroot')), [{ names: ['chroot'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }]);
  const n = names(noChroot);
  assert.ok(n.includes('arm_only') && !n.includes('arch_prctl') && n.includes('not_on_amd64'));
  assert.ok(!n.includes('new_kernel') && n.includes('old_kernel_only'));
  const both = convertSeccompProfile(PROFILE, { caps: ['sys_admin', 'CAP_SYS_CHROOT'], arch: 'amd64', kernel: '6.1' });
  assert.ok(names(both).includes('both_caps'));
  // No archMap entry for the architecture: no architectures list (native only).
  assert.equal(convertSeccompProfile(PROFILE, { caps: [], arch: 'riscv64' }).architectures, undefined);
});

test('architectures list and archMap together are rejected; missing names rejected', () => {
  assert.throws(() => convertSeccompProfile({ ...PROFILE, architectures: ['SCMP_ARCH_X86_64'] }, { caps: [] }), /use either 'architectures' or 'archMap'/);
  assert.throws(() => convertSeccompProfile({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ action: 'SCMP_ACT_ERRNO' }] }, { caps: [] }), /no syscall names/);
  assert.deepEqual(
    convertSeccompProfile({ defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64'], flags: ['SECCOMP_FILTER_FLAG_LOG'] }, { caps: [] }),
    { defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64'], flags: ['SECCOMP_FILTER_FLAG_LOG'], syscalls: [] },
  );
});

test('loadSeccompProfile reads a file; bad files are usage errors', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pier-seccomp-'));
  try {
    const f = path.join(dir, 'p.json');
    fs.writeFileSync(f, JSON.stringify(PROFILE));
    const s = loadSeccompProfile(f, { caps: DEFAULT_CAPABILITIES, arch: 'amd64', kernel: '6.1' });
    assert.equal(s.syscalls!.length, convertSeccompProfile(PROFILE, { caps: DEFAULT_CAPABILITIES, arch: 'amd64', kernel: '6.1' }).syscalls!.length);
    fs.writeFileSync(f, '{not json');
    assert.throws(() => loadSeccompProfile(f, { caps: [] }), /loading seccomp profile .* failed/);
    assert.throws(() => loadSeccompProfile(path.join(dir, 'missing.json'), { caps: [] }), /loading seccomp profile/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('fallback profile: allow by default, gated blocklist follows capabilities', () => {
  const s = convertSeccompProfile(FALLBACK_PROFILE, { caps: DEFAULT_CAPABILITIES, arch: 'amd64', kernel: '6.1' });
  assert.equal(s.defaultAction, 'SCMP_ACT_ALLOW');
  assert.deepEqual(s.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
  const blocked = new Set(names(s));
  for (const n of ['kexec_load', 'init_module', 'finit_module', 'delete_module', 'mount', 'umount2', 'swapon', 'swapoff',
    'reboot', 'bpf', 'perf_event_open', 'keyctl', 'add_key', 'request_key', 'unshare', 'clone', 'open_by_handle_at',
    'userfaultfd', 'lookup_dcookie', 'acct', 'settimeofday', 'clock_settime', 'iopl', 'ioperm', 'quotactl', 'nfsservctl',
    'vm86', 'pivot_root']) {
    assert.ok(blocked.has(n), `${n} should be blocked`);
  }
  assert.ok(!blocked.has('ptrace'), 'ptrace is only blocked before kernel 4.8');
  assert.ok(convertSeccompProfile(FALLBACK_PROFILE, { caps: [], arch: 'amd64', kernel: '4.4' }).syscalls!.some((c) => c.names.includes('ptrace')));
  const admin = new Set(names(convertSeccompProfile(FALLBACK_PROFILE, { caps: [...DEFAULT_CAPABILITIES, 'CAP_SYS_ADMIN'], arch: 'amd64', kernel: '6.1' })));
  for (const n of ['mount', 'unshare', 'clone', 'clone3', 'setns', 'bpf']) assert.ok(!admin.has(n), `${n} allowed with CAP_SYS_ADMIN`);
  assert.ok(admin.has('kexec_load') && admin.has('init_module'));
  const unshare = s.syscalls!.filter((c) => c.names.includes('unshare'));
  assert.equal(unshare.length, 7, 'one masked rule per CLONE_NEW* flag');
  assert.ok(unshare.every((c) => c.action === 'SCMP_ACT_ERRNO' && c.errnoRet === 1 && c.args![0].op === 'SCMP_CMP_MASKED_EQ'));
});

test('defaultSeccomp uses containers-common\'s profile when installed, else the fallback', () => {
  const file = defaultSeccompPath();
  const caps = [...DEFAULT_CAPABILITIES];
  const got = defaultSeccomp(caps);
  if (file !== undefined) {
    assert.deepEqual(got, loadSeccompProfile(file, { caps }));
    // containers-common's profile is an allowlist with ENOSYS for unknown syscalls.
    assert.equal(got.defaultAction, 'SCMP_ACT_ERRNO');
    const chroot = got.syscalls!.filter((c) => c.names.includes('chroot'));
    assert.deepEqual(chroot.map((c) => c.action), ['SCMP_ACT_ALLOW']);
    const noChroot = defaultSeccomp(caps.filter((c) => c !== 'CAP_SYS_CHROOT'));
    assert.deepEqual(noChroot.syscalls!.filter((c) => c.names.includes('chroot')).map((c) => c.action), ['SCMP_ACT_ERRNO']);
  } else {
    assert.deepEqual(got, convertSeccompProfile(FALLBACK_PROFILE, { caps }));
  }
});
