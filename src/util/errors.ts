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

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
