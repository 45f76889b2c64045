/** Exit codes as podman uses them. */
export const EXIT_ENGINE = 125;
export const EXIT_CANNOT_INVOKE = 126;
export const EXIT_NOT_FOUND = 127;

/** An error with a one-line message and the exit code the CLI should return. */
export class PierError extends Error {
  constructor(message: string, readonly exitCode: number = EXIT_ENGINE, readonly httpStatus = 500) {
    super(message);
    this.name = 'PierError';
  }
}

/** A missing object (image, container, volume...): podman answers 125, the API 404. */
export class NotFoundError extends PierError {
  constructor(message: string) { super(message, EXIT_ENGINE, 404); this.name = 'NotFoundError'; }
}

/** A name or state conflict: the API answers 409. */
export class ConflictError extends PierError {
  constructor(message: string) { super(message, EXIT_ENGINE, 409); this.name = 'ConflictError'; }
}

/** Bad user input (flags, references, specs): the API answers 400. */
export class UsageError extends PierError {
  constructor(message: string) { super(message, EXIT_ENGINE, 400); this.name = 'UsageError'; }
}

/** A container or pod named (by name or full ID) from another libpod namespace (global --namespace) than its own. */
export class NamespaceMismatchError extends PierError {
  constructor(message: string) { super(message); this.name = 'NamespaceMismatchError'; }
}

/** The end of podman's NamespaceMismatchError messages (an API error's text is recognised by it). */
export const NAMESPACE_MISMATCH = ': target is in a different namespace';

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/** Go's (and so podman's) text for the errno codes file operations fail with. */
const ERRNO_TEXT: Record<string, string> = {
  ENOENT: 'no such file or directory', EACCES: 'permission denied', EPERM: 'operation not permitted',
  ENOTDIR: 'not a directory', EISDIR: 'is a directory', ELOOP: 'too many levels of symbolic links',
  EEXIST: 'file exists', EROFS: 'read-only file system', ENOSPC: 'no space left on device',
  EBUSY: 'device or resource busy', ENAMETOOLONG: 'file name too long', EINVAL: 'invalid argument',
  ERANGE: 'numerical result out of range', ECONNREFUSED: 'connection refused', ENOTSOCK: 'socket operation on non-socket',
  EPROTOTYPE: 'protocol wrong type for socket',
};

/**
 * The reason part of a failed file operation as podman words it (`open F: <reason>`): Go's errno
 * text, where Node's message would be `ENOENT: no such file or directory, open 'F'`.
 */
export function errnoText(e: unknown): string {
  const code = (e as NodeJS.ErrnoException)?.code;
  return (code && ERRNO_TEXT[code]) ?? (e instanceof Error ? e.message : String(e));
}

/**
 * A failed read of a whole file as Go words it (`open F: no such file or directory`,
 * `read F: is a directory`): a directory opens, then fails to read.
 */
export function readFileErrorText(e: unknown, file: string): string {
  return `${(e as NodeJS.ErrnoException)?.code === 'EISDIR' ? 'read' : 'open'} ${file}: ${errnoText(e)}`;
}
