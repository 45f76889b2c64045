// This machine's architecture in Go's terms (GOARCH), as podman, OCI and registries name it.

/** Node's process.arch → Go's GOARCH. */
export function goArch(nodeArch: string = process.arch): string {
  const map: Record<string, string> = { x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm', s390x: 's390x', ppc64: 'ppc64le', mips: 'mips', mipsel: 'mipsle', riscv64: 'riscv64' };
  return map[nodeArch] ?? nodeArch;
}
