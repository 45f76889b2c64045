// podman's systemd mode (--systemd): a container whose command is an init runs systemd, which
// needs tmpfs on /run, /run/lock, /tmp and /var/log/journal, the systemd cgroup hierarchy, and
// SIGRTMIN+3 to stop.

/** The commands that make `--systemd=true` (the default) systemd mode, as podman 4.3 lists them. */
const INIT_COMMANDS = new Set(['/sbin/init', '/usr/sbin/init', '/usr/local/sbin/init']);

/** SIGRTMIN+3: what systemd takes as "halt". */
export const SYSTEMD_STOP_SIGNAL = 37;

/**
 * Whether a container runs in systemd mode: `always`, or (`true`, the default) its command (the
 * entrypoint and command, past a leading `/bin/sh -c` as a build's RUN adds it) is an init or
 * ends in /systemd.
 */
export function systemdMode(setting: string | undefined, command: readonly string[]): boolean {
  if (setting === 'always') return true;
  if (setting === 'false' || !command.length) return false;
  const cmd = command.length > 2 && command[0] === '/bin/sh' && command[1] === '-c' ? command.slice(2) : command;
  return INIT_COMMANDS.has(cmd[0]) || cmd[0].split('/').pop() === 'systemd';
}
