// The OCI base-image annotations a build writes into each image's manifest, as buildah 1.28
// does: every commit's builder starts from the image before the step (the stage's FROM image
// for the first step, else the previous step's image, cached or not), and its annotations are
//   org.opencontainers.image.base.digest: that image's manifest digest ('' for scratch),
//   org.opencontainers.image.base.name:   the image's name (the first one that contains the
//                                          reference's short name, else its first one); left out
//                                          when the image has no name; '' for scratch,
// then that image's own manifest annotations for every key still unset or empty (so a FROM
// image's base.name carries on through unnamed step and stage images), then --annotation.
import { ImageRecord, manifestAnnotations } from '../storage/images';
import { sha256 } from '../util/digest';

export const BASE_DIGEST_ANNOTATION = 'org.opencontainers.image.base.digest';
export const BASE_NAME_ANNOTATION = 'org.opencontainers.image.base.name';

/** The last path component of a reference without tag or digest (`testimage` of `quay.io/libpod/testimage:1`). */
function shortName(ref: string): string {
  let s = ref.split(':')[0];
  s = s.split('/').pop() ?? s;
  return s.split('@')[0];
}

/** The annotations of a commit whose builder started from `base` (named `ref` in the Containerfile, or its id). */
export function baseImageAnnotations(base: Pick<ImageRecord, 'names' | 'manifest' | 'manifestDigest'>, ref: string, scratch: boolean): Record<string, string> {
  if (scratch) return { [BASE_DIGEST_ANNOTATION]: '', [BASE_NAME_ANNOTATION]: '' };
  const out: Record<string, string> = { [BASE_DIGEST_ANNOTATION]: base.manifest ? base.manifestDigest ?? sha256(base.manifest) : '' };
  const names = base.names.filter((n) => !n.includes('@'));
  const prefix = shortName(ref);
  const name = names.find((n) => n.includes(prefix)) ?? names[0];
  // Names in the store are fully qualified; an image without one would go by a short name,
  // which buildah leaves out.
  if (name) out[BASE_NAME_ANNOTATION] = name;
  for (const [k, v] of Object.entries(manifestAnnotations(base))) if (!out[k]) out[k] = v;
  return out;
}
