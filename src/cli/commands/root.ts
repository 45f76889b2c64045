// The command tree. Each area's commands live in their own module; this file only wires them.
import { CommandDef } from '../parser';
import { imageCommands, imageGroup } from './images';
import { systemCommands } from './system';
import { containerCommands, containerGroup } from './containers';
import { volumeGroup } from './volumes';
import { containerOpsCommands } from './container-ops';
import { containerFilesCommands } from './container-files';
import { networkGroup } from './networks';
import { eventsCommand } from './events';
import { podGroup } from './pods';
import { buildCommand, buildxGroup } from './build';

export function rootCommand(): CommandDef {
  return {
    name: 'pier',
    summary: 'Manage pods, containers and images',
    usage: '[options] [command]',
    flags: [
      { name: 'root', type: 'string', help: 'Path to the root directory in which data, including images, is stored', hideDefault: true },
      { name: 'runroot', type: 'string', help: "Path to the 'run directory' where all state information is stored" },
      { name: 'storage-driver', type: 'string', help: 'Select which storage driver is used to manage storage of images and containers (overlay, vfs)' },
      { name: 'storage-opt', type: 'stringArray', help: 'Used to pass an option to the storage driver' },
      { name: 'log-level', type: 'string', help: 'Log messages above specified level (trace, debug, info, warn, warning, error, fatal, panic)', default: 'warn' },
      { name: 'registries-conf', type: 'string', help: 'Path to the registries.conf file (CONTAINERS_REGISTRIES_CONF)' },
      { name: 'config', type: 'string', help: 'Path of a containers.conf file' },
      { name: 'runtime', type: 'string', help: 'Path to the OCI-compatible binary used to run containers' },
      { name: 'conmon', type: 'string', help: 'Path of the conmon binary' },
      { name: 'tmpdir', type: 'string', help: 'Path to the tmp directory for libpod state content' },
      { name: 'remote', short: 'r', type: 'bool', help: 'Access remote Pier service' },
      { name: 'url', type: 'string', help: 'URL to access Pier service (CONTAINER_HOST)', hideDefault: true },
      { name: 'connection', short: 'c', type: 'string', help: 'Connection to use for remote Pier service (CONTAINER_CONNECTION)' },
      { name: 'identity', type: 'string', help: 'path to SSH identity file, (CONTAINER_SSHKEY)' },
      { name: 'version', short: 'v', type: 'bool', help: 'Version for pier' },
    ],
    subcommands: [containerGroup(), imageGroup(), networkGroup(), podGroup(), volumeGroup(), ...containerCommands(), ...containerOpsCommands(), ...containerFilesCommands(), ...imageCommands(), eventsCommand(), buildCommand(), buildxGroup(), ...systemCommands()],
  };
}
