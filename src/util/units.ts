// Sizes written as podman's config files write them.

/**
 * docker/go-units FromHumanSize, as podman reads containers.conf sizes: decimal units
 * (`1m` = 1000000, `512k`, `1.5g`, `100`), an optional space, optional `i` and `b`;
 * undefined when the text is not a size.
 */
export function parseHumanSize(s: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?) ?([kmgtp])?i?b?$/i.exec(s.trim());
  if (!m) return undefined;
  return Math.floor(parseFloat(m[1]) * 1000 ** ' kmgtp'.indexOf((m[2] ?? ' ').toLowerCase()));
}
