// The output formatter (Go templates, tables) for modules on a command's start-up path: it is
// loaded on first use, by a command that prints with it (a `run` does not).

/** format/output.ts, required on first call. */
export const output = () => require('./output') as typeof import('./output');
