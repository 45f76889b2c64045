// The pause image for pods' infra containers, built locally from the host's catatonit (statically
// linked in Debian's package), so pods never need a registry: `localhost/pier-pause:<version>`.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { LocalImageEngine } from '../domain/local/images';
import { TarWriter } from '../storage/tar/writer';
import { lock } from '../util/lock';
import { PierError } from '../util/errors';

export const PAUSE_IMAGE = `localhost/pier-pause:${PIER_VERSION}`;
const CATATONIT_PATHS = ['/usr/libexec/podman/catatonit', '/usr/bin/catatonit', '/usr/local/libexec/podman/catatonit'];

export function catatonitPath(): string {
  for (const p of CATATONIT_PATHS) if (fs.existsSync(p)) return fs.realpathSync(p);
  throw new PierError('building the pause image: catatonit not found (install the catatonit package)');
}

/** The pause image's name; builds and stores it the first time. */
export async function ensurePauseImage(images: LocalImageEngine): Promise<string> {
  if (await images.exists(PAUSE_IMAGE)) return PAUSE_IMAGE;
  const release = await lock(path.join(images.store.runRoot, 'pause-image.lock'));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pier-pause-'));
  try {
    if (await images.exists(PAUSE_IMAGE)) return PAUSE_IMAGE;
    const bin = fs.readFileSync(catatonitPath());
    const tarFile = path.join(dir, 'pause.tar');
    const w = new TarWriter();
    const out = pipeline(w.stream, fs.createWriteStream(tarFile));
    const hdr = { mtime: 0, uid: 0, gid: 0 };
    for (const d of ['dev/', 'etc/', 'proc/', 'sys/']) await w.addDir(d, { ...hdr, mode: 0o755 });
    await w.addFile('catatonit', bin, { ...hdr, mode: 0o755 });
    await w.finish();
    await out;
    await images.importArchive(tarFile, {
      reference: PAUSE_IMAGE,
      changes: ['ENTRYPOINT ["/catatonit", "-P"]', 'LABEL io.pier.pause=true'],
      message: 'pier pause image',
    });
    return PAUSE_IMAGE;
  } finally {
    release();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
