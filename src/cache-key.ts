// The name of the V8 code cache a pier invocation uses (see main.ts): its command path.

/** Global options that take a value (the value is not the command's name). */
export const VALUE_FLAGS = new Set(['--root', '--runroot', '--storage-driver', '--storage-opt', '--log-level', '--registries-conf',
  '--config', '--runtime', '--conmon', '--tmpdir', '--url', '--connection', '-c', '--identity', '--cgroup-manager', '--events-backend', '--volumepath', '--runtime-flag',
  '--network-cmd-path', '--network-config-dir', '--ssh', '--namespace']);
/** Commands whose first argument is a subcommand. */
const GROUPS = new Set(['container', 'image', 'network', 'pod', 'volume', 'system', 'buildx', 'manifest', 'generate', 'connection']);

/** The command path (`run`, `container-ls`) that names the code cache; '' for none. */
export function cacheKey(args: string[]): string {
  const words: string[] = [];
  for (let i = 0; i < args.length && words.length < 3; i++) {
    const a = args[i];
    if (a === '--') break;
    if (a.startsWith('-')) {
      if (!a.includes('=') && VALUE_FLAGS.has(a)) i++;
      if (words.length) break;
      continue;
    }
    // Shell completion (`__complete`, `__completeNoDesc`): one cache for every TAB.
    if (!words.length && (a === '__complete' || a === '__completeNoDesc')) return 'complete';
    if (!/^[a-z][a-z-]{0,29}$/.test(a)) break;
    words.push(a);
    if (!GROUPS.has(a)) break;
  }
  return words.join('-');
}
