/** Replaced at build time by esbuild (see scripts/build.mjs). */
declare const PIER_VERSION: string;
