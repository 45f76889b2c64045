// The command tree. Each area's commands live in their own module; this file only wires them.
// The top-level commands are stubs (name, aliases, summary) whose module is loaded only when the
// command is used: a run loads and builds the definitions of one area, not of all (~1/3 less
// code cache to read at every start). tests/format/command-table.test.ts keeps the stubs equal
// to the definitions they stand for.
import { findSub, helpText, type CommandDef } from '../parser';
import { writeStderr } from '../../util/stdio';
import { trace } from '../../util/log';

/** The definitions of one area of commands, built once on first use. */
function area(build: () => CommandDef[]): () => CommandDef[] {
  let defs: CommandDef[] | undefined;
  return () => (defs ??= build());
}

/* eslint-disable @typescript-eslint/no-var-requires */
const AREAS = {
  containerGroup: area(() => [(require('./containers') as typeof import('./containers')).containerGroup()]),
  imageGroup: area(() => [(require('./images') as typeof import('./images')).imageGroup()]),
  networkGroup: area(() => [(require('./networks') as typeof import('./networks')).networkGroup()]),
  podGroup: area(() => [(require('./pods') as typeof import('./pods')).podGroup()]),
  volumeGroup: area(() => [(require('./volumes') as typeof import('./volumes')).volumeGroup()]),
  secretGroup: area(() => [(require('./secrets') as typeof import('./secrets')).secretGroup()]),
  generateGroup: area(() => [(require('./generate') as typeof import('./generate')).generateGroup()]),
  manifestGroup: area(() => [(require('./manifest') as typeof import('./manifest')).manifestGroup()]),
  kubeGroup: area(() => {
    const k = require('./kube') as typeof import('./kube');
    return [k.kubeGroup(), k.playGroup()];
  }),
  containers: area(() => (require('./containers') as typeof import('./containers')).containerCommands()),
  containerOps: area(() => (require('./container-ops') as typeof import('./container-ops')).containerOpsCommands()),
  containerFiles: area(() => (require('./container-files') as typeof import('./container-files')).containerFilesCommands()),
  images: area(() => (require('./images') as typeof import('./images')).imageCommands()),
  autoUpdate: area(() => [(require('./auto-update') as typeof import('./auto-update')).autoUpdateCommand()]),
  events: area(() => [(require('./events') as typeof import('./events')).eventsCommand()]),
  build: area(() => {
    const b = require('./build') as typeof import('./build');
    return [b.buildCommand(), b.buildxGroup()];
  }),
  system: area(() => (require('./system') as typeof import('./system')).systemCommands()),
};
/* eslint-enable @typescript-eslint/no-var-requires */

export type Area = keyof typeof AREAS;

/** Top-level commands that work but are not listed in help, as in podman. */
const HIDDEN = new Set(['buildx', 'completion', 'play']);

/** The top-level commands: [area, name, summary, aliases]; help lists them sorted by name. */
export const TOP_LEVEL: ReadonlyArray<readonly [Area, string, string, string[]?]> = [
  ['containerGroup', 'container', 'Manage containers'],
  ['imageGroup', 'image', 'Manage images'],
  ['networkGroup', 'network', 'Manage networks'],
  ['podGroup', 'pod', 'Manage pods'],
  ['volumeGroup', 'volume', 'Manage volumes'],
  ['secretGroup', 'secret', 'Manage secrets'],
  ['generateGroup', 'generate', 'Generate structured data based on containers, pods or volumes'],
  ['manifestGroup', 'manifest', 'Manipulate manifest lists and image indexes'],
  ['kubeGroup', 'kube', 'Play containers, pods or volumes from a structured file'],
  ['kubeGroup', 'play', 'Play containers, pods or volumes from a structured file'],
  ['containers', 'attach', 'Attach to a running container'],
  ['containers', 'port', 'List port mappings or a specific mapping for the container'],
  ['containers', 'init', 'Initialize one or more containers'],
  ['containers', 'create', 'Create but do not start a container'],
  ['containers', 'exec', 'Run a process in a running container'],
  ['containers', 'kill', 'Kill one or more running containers with a specific signal'],
  ['containers', 'logs', 'Fetch the logs of one or more containers'],
  ['containers', 'pause', 'Pause all the processes in one or more containers'],
  ['containers', 'rename', 'Rename an existing container'],
  ['containers', 'restart', 'Restart one or more containers'],
  ['containers', 'rm', 'Remove one or more containers'],
  ['containers', 'run', 'Run a command in a new container'],
  ['containers', 'start', 'Start one or more containers'],
  ['containers', 'stop', 'Stop one or more containers'],
  ['containers', 'unpause', 'Unpause the processes in one or more containers'],
  ['containers', 'wait', 'Block on one or more containers'],
  ['containers', 'ps', 'List containers'],
  ['containerOps', 'top', 'Display the running processes of a container'],
  ['containerOps', 'stats', 'Display a live stream of container resource usage statistics'],
  ['containerOps', 'update', 'update an existing container'],
  ['containerOps', 'healthcheck', 'Manage health checks on containers'],
  ['containerFiles', 'cp', 'Copy files/folders between a container and the local filesystem'],
  ['containerFiles', 'export', "Export container's filesystem contents as a tar archive"],
  ['containerFiles', 'diff', "Display the changes to the object's file system"],
  ['containerFiles', 'mount', "Mount a working container's root filesystem"],
  ['containerFiles', 'unmount', "Unmounts working container's root filesystem", ['umount']],
  ['containerFiles', 'commit', 'Create new image based on the changed container'],
  ['images', 'images', 'List images in local storage'],
  ['images', 'pull', 'Pull an image from a registry'],
  ['images', 'push', 'Push an image to a specified destination'],
  ['images', 'rmi', 'Removes one or more images from local storage'],
  ['images', 'tag', 'Add an additional name to a local image'],
  ['images', 'untag', 'Remove a name from a local image'],
  ['images', 'history', 'Show history of a specified image'],
  ['images', 'inspect', 'Display the configuration of object denoted by ID'],
  ['images', 'save', 'Save image(s) to an archive'],
  ['images', 'load', 'Load image(s) from a tar archive'],
  ['images', 'import', 'Import a tarball to create a filesystem image'],
  ['images', 'login', 'Login to a container registry'],
  ['images', 'logout', 'Logout of a container registry'],
  ['images', 'search', 'Search registry for image'],
  ['events', 'events', 'Show pier events'],
  ['autoUpdate', 'auto-update', 'Auto update containers according to their auto-update policy'],
  ['build', 'build', 'Build an image using instructions from Containerfiles'],
  ['build', 'buildx', 'Build images'],
  ['system', 'version', 'Display the Pier version information'],
  ['system', 'info', 'Display pier system information'],
  ['system', 'completion', 'Generate shell autocompletions'],
  ['system', 'unshare', 'Run a command in a modified user namespace'],
  ['system', 'system', 'Manage pier'],
];

/**
 * The areas whose commands run from the core bundle (dist/core.js, see scripts/build.mjs): the
 * container commands. The core bundle leaves out the service, build, completion and the other
 * areas' commands, so each container command starts with less code to load (~110 KB less code
 * cache for `run`). `container runlabel` is the one container command outside it.
 */
export const CORE_AREAS: ReadonlySet<Area> = new Set<Area>(['containerGroup', 'containers', 'containerOps', 'containerFiles']);
const OUTSIDE_CORE = new Set(['runlabel']);

/** The command paths (as src/cache-key.ts names them) that dist/pier.js runs with the core bundle. */
export function coreCommandKeys(): string[] {
  const keys: string[] = [];
  for (const [a, name, , aliases] of TOP_LEVEL) if (CORE_AREAS.has(a)) keys.push(name, ...(aliases ?? []));
  for (const sub of AREAS.containerGroup()[0].subcommands ?? []) {
    if (!OUTSIDE_CORE.has(sub.name)) for (const n of [sub.name, ...(sub.aliases ?? [])]) keys.push(`container-${n}`);
  }
  return keys;
}

/** Every area's definitions, loaded (for tests that keep TOP_LEVEL true). */
export function allAreas(): Array<[Area, CommandDef[]]> {
  return (Object.keys(AREAS) as Area[]).map((a) => [a, AREAS[a]()]);
}

/** The full definition of a top-level command of `area`. */
export function loadTopLevel(a: Area, name: string): CommandDef {
  const def = AREAS[a]().find((c) => c.name === name);
  if (!def) throw new Error(`command ${name} is not defined by its area ${a}`);
  return def;
}

export function rootCommand(): CommandDef {
  const root: CommandDef = {
    name: 'pier',
    summary: 'Manage pods, containers and images',
    usage: '[options] [command]',
    flags: [
      { name: 'root', type: 'string', help: 'Path to the root directory in which data, including images, is stored', hideDefault: true },
      { name: 'runroot', type: 'string', help: "Path to the 'run directory' where all state information is stored" },
      { name: 'storage-driver', type: 'string', help: 'Select which storage driver is used to manage storage of images and containers (overlay, vfs)' },
      { name: 'storage-opt', type: 'stringArray', help: 'Used to pass an option to the storage driver' },
      { name: 'debug', short: 'D', type: 'bool', help: 'Docker compatibility: --log-level=debug', hidden: true },
      { name: 'namespace', type: 'string', help: 'Set the libpod namespace, used to create separate views of the containers and pods on the system' },
      { name: 'log-level', type: 'string', help: 'Log messages above specified level (trace, debug, info, warn, warning, error, fatal, panic)', default: 'warn' },
      { name: 'registries-conf', type: 'string', help: 'Path to the registries.conf file (CONTAINERS_REGISTRIES_CONF)' },
      { name: 'config', type: 'string', help: 'Ignored: exists for Docker compatibility (as podman\'s)', hidden: true },
      { name: 'runtime', type: 'string', help: 'Path to the OCI-compatible binary used to run containers' },
      { name: 'cgroup-manager', type: 'string', help: 'Cgroup manager to use ("cgroupfs"|"systemd")' },
      { name: 'runtime-flag', type: 'stringArray', help: 'add global flags for the container runtime' },
      { name: 'conmon', type: 'string', help: 'Path of the conmon binary' },
      { name: 'events-backend', type: 'string', help: 'Events backend to use ("file"|"journald"|"none")' },
      {
        name: 'hooks-dir', type: 'stringArray', valueName: 'strings', help: 'Set the OCI hooks directory path (may be set multiple times)',
        default: ['/usr/share/containers/oci/hooks.d'],
      },
      { name: 'tmpdir', type: 'string', help: 'Path to the tmp directory for libpod state content' },
      { name: 'remote', short: 'r', type: 'bool', help: 'Access remote Pier service' },
      { name: 'url', type: 'string', help: 'URL to access Pier service (CONTAINER_HOST)', hideDefault: true },
      { name: 'connection', short: 'c', type: 'string', help: 'Connection to use for remote Pier service (CONTAINER_CONNECTION)' },
      { name: 'identity', type: 'string', help: 'path to SSH identity file, (CONTAINER_SSHKEY)' },
      { name: 'noout', type: 'bool', help: 'do not output to stdout' },
      { name: 'volumepath', type: 'string', help: 'Path to the volume directory in which volume data is stored' },
      { name: 'network-cmd-path', type: 'string', help: 'Path to the command for configuring the network' },
      { name: 'network-config-dir', type: 'string', help: 'Path of the configuration directory for networks' },
      { name: 'ssh', type: 'string', help: 'define the ssh mode (pier always uses OpenSSH, podman\'s "native")', default: 'native' },
      { name: 'syslog', type: 'bool', help: 'Output logging information to syslog as well as the console (default false)' },
      { name: 'version', short: 'v', type: 'bool', help: 'Version for pier' },
    ],
    subcommands: TOP_LEVEL.map(([a, name, summary, aliases]) => ({
      name, summary, ...(aliases ? { aliases } : {}), ...(HIDDEN.has(name) ? { hidden: true } : {}), load: () => loadTopLevel(a, name),
    })),
  };
  root.subcommands!.push({ name: 'help', summary: 'Help about any command', load: () => helpCommand(root) });
  for (const [name, descriptions] of [['__complete', true], ['__completeNoDesc', false]] as const) {
    root.subcommands!.push({ name, summary: COMPLETE_SUMMARY, hidden: true, load: () => completeCommand(root, name, descriptions) });
  }
  return root;
}

const COMPLETE_SUMMARY = 'Request shell completion choices for the specified command-line';

/** cobra's hidden `__complete` (`__completeNoDesc`): the candidates for a command line (src/cli/complete.ts). */
function completeCommand(root: CommandDef, name: string, descriptions: boolean): CommandDef {
  return {
    name,
    summary: COMPLETE_SUMMARY,
    usage: '[command-line]',
    hidden: true,
    disableFlagParsing: true,
    minArgs: 1,
    run: async (ctx, args) => {
      const { completionOutput } = require('../complete') as typeof import('../complete');
      const { storeObjects } = require('../complete-objects') as typeof import('../complete-objects');
      // The global options given before `__complete` (ctx.globals) and in the words completed
      // name the store (or, remote, the service).
      const out = await completionOutput(root, args, descriptions, storeObjects, ctx.globals);
      trace('completed');
      process.stdout.write(out.stdout);
      writeStderr(out.stderr);
      return 0;
    },
  };
}

/**
 * `pier help [command...]`, cobra's help command as podman has it: the help of the deepest
 * command the words name (words after it are ignored), the root's with none. A first word that
 * names no command prints "Unknown help topic" and the root's usage on stderr, and exits 0.
 */
function helpCommand(root: CommandDef): CommandDef {
  return {
    name: 'help',
    summary: 'Help about any command',
    description: `Help provides help for any command in the application.\nSimply type ${root.name} help [path to command] for full details.`,
    usage: '[command]',
    run: (_ctx, args) => {
      const path = [root];
      for (const word of args) {
        const sub = findSub(path[path.length - 1], word);
        if (!sub) break;
        path.push(sub);
      }
      if (args.length && path.length === 1) {
        // cobra: Printf("Unknown help topic %#q\n", args), then the root's usage (its help without the summary).
        const usage = helpText(root, [root]).split('\n').slice(2).join('\n');
        writeStderr(`Unknown help topic [${args.map((a) => `\`${a}\``).join(' ')}]\n${usage}\n`);
        return 0;
      }
      process.stdout.write(helpText(root, path) + '\n');
      return 0;
    },
  };
}
