/** Replaced at build time by esbuild (see scripts/build.mjs). */
declare const PIER_VERSION: string;
/** The CLI bundle's hash (dist/pier.js only): code caches are named after it. */
declare const PIER_BUILD: string;
/** The core bundle's hash (dist/pier.js only). */
declare const PIER_CORE_BUILD: string;
/** The command paths (src/cache-key.ts) that run from the core bundle (dist/pier.js only). */
declare const PIER_CORE_KEYS: readonly string[];
