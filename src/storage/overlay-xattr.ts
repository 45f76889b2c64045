// Overlay layers in a rootless user namespace (engine/rootless.ts).
import { inRootlessUserns } from '../config/paths';

/**
 * Extra overlay mount options: in a rootless user namespace overlayfs cannot use trusted.*
 * xattrs, so it keeps its markers (opaque dirs) in user.* ones (`userxattr`, Linux 5.11+).
 */
export function overlayUserxattr(): string {
  return inRootlessUserns() ? ',userxattr' : '';
}

/** The xattr that marks an opaque directory in an overlay layer (see overlayUserxattr). */
export function overlayOpaqueXattr(): string {
  return inRootlessUserns() ? 'user.overlay.opaque' : 'trusted.overlay.opaque';
}
