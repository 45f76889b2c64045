/** Replaced at build time by esbuild (see scripts/build.mjs). */
declare const PIER_VERSION: string;
/** The CLI bundle's hash (dist/pier.js only): code caches are named after it. */
declare const PIER_BUILD: string;
