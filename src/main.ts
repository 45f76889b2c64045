// Entry point of the `pier` binary. Kept tiny: `--version` is answered here without
// loading the CLI bundle, everything else is handed to dist/cli.js.
const argv = process.argv.slice(2);
const version = typeof PIER_VERSION === 'string' ? PIER_VERSION : '0.0.0-dev';
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-v')) {
  process.stdout.write(`pier version ${version}\n`);
} else {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  require('./cli.js').main(argv);
}
