// A copy of a directory tree that keeps what a container's files carry: owners (or owners
// mapped), modes, xattrs, times, hard links, device nodes (overlay whiteouts among them).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PierError } from './errors';
import { native } from './native';

const { O_RDONLY, O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW } = fs.constants;
const COPY_BUF = 1024 * 1024;

/** Copy a regular file's bytes without following a symlink at either end. */
function copyFileBytes(src: string, dst: string): void {
  const inFd = fs.openSync(src, O_RDONLY | O_NOFOLLOW);
  try {
    if (!fs.fstatSync(inFd).isFile()) throw new PierError(`copy-up: ${src} changed while copying`);
    const outFd = fs.openSync(dst, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
    try {
      const buf = Buffer.allocUnsafe(COPY_BUF);
      for (;;) {
        const n = fs.readSync(inFd, buf, 0, COPY_BUF, null);
        if (n === 0) break;
        let off = 0;
        while (off < n) off += fs.writeSync(outFd, buf, off, n - off);
      }
    } finally {
      fs.closeSync(outFd);
    }
  } finally {
    fs.closeSync(inFd);
  }
}

function copyXattrs(src: string, dst: string): void {
  let names: string[];
  try { names = native().llistxattr(src); } catch { return; }
  for (const n of names) {
    if (n.startsWith('trusted.overlay.')) continue;
    try {
      const v = native().lgetxattr(src, n);
      if (v) native().lsetxattr(dst, n, v);
    } catch (e: any) {
      // The volume's file system may not support this namespace (tmpfs and user.* / security.*).
      if (!['ENOTSUP', 'EOPNOTSUPP', 'EPERM', 'EACCES'].includes(e.code)) throw e;
    }
  }
}

function setTimes(p: string, st: fs.BigIntStats): void {
  const sec = (ns: bigint) => Number(ns / 1_000_000_000n);
  const nsec = (ns: bigint) => Number(ns % 1_000_000_000n);
  native().lutimens(p, sec(st.atimeNs), nsec(st.atimeNs), sec(st.mtimeNs), nsec(st.mtimeNs));
}

/** A new owner for a file of the source tree. */
export type OwnerMap = (uid: number, gid: number) => { uid: number; gid: number };

/**
 * Copy the content of directory `srcDir` into the existing directory `dstDir`; never follows
 * symlinks. `owner` maps each file's owner (default: kept).
 */
export function copyTree(srcDir: string, dstDir: string, owner?: OwnerMap): void {
  const links = new Map<string, string>();
  const dirs: [string, fs.BigIntStats][] = [];
  const meta = (src: string, dst: string, st: fs.BigIntStats) => {
    const o = owner ? owner(Number(st.uid), Number(st.gid)) : { uid: Number(st.uid), gid: Number(st.gid) };
    fs.lchownSync(dst, o.uid, o.gid);
    copyXattrs(src, dst);
    if (!st.isSymbolicLink()) fs.chmodSync(dst, Number(st.mode) & 0o7777);
  };
  const walk = (s: string, d: string): void => {
    for (const n of fs.readdirSync(s)) {
      const sp = path.join(s, n);
      const dp = path.join(d, n);
      const st = fs.lstatSync(sp, { bigint: true });
      if (st.isDirectory()) {
        fs.mkdirSync(dp, 0o700);
        walk(sp, dp);
        dirs.push([dp, st]);
        meta(sp, dp, st);
        continue;
      }
      if (st.nlink > 1n) {
        const key = `${st.dev}:${st.ino}`;
        const first = links.get(key);
        if (first !== undefined) { fs.linkSync(first, dp); continue; }
        links.set(key, dp);
      }
      if (st.isSymbolicLink()) fs.symlinkSync(fs.readlinkSync(sp), dp);
      else if (st.isFile()) copyFileBytes(sp, dp);
      else if (st.isCharacterDevice() || st.isBlockDevice() || st.isFIFO()) {
        const rdev = st.rdev;
        const major = Number(((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn));
        const minor = Number((rdev & 0xffn) | ((rdev >> 12n) & ~0xffn));
        native().mknod(dp, Number(st.mode), major, minor);
      } else continue; // sockets
      meta(sp, dp, st);
      setTimes(dp, st);
    }
  };
  walk(srcDir, dstDir);
  // Directory times last: creating their children changed them.
  for (const [d, st] of dirs) setTimes(d, st);
}
