// cobra's hidden `__complete` / `__completeNoDesc` commands, which podman's completion scripts
// (and podman's own tests) call: `pier __complete WORDS... TOCOMPLETE` prints one candidate a line
// (`candidate<TAB>description` unless NoDesc), then `:DIRECTIVE`, and on stderr
// `Completion ended with directive: ...`. Candidates: subcommands, flags, and the values of
// --format: podman's AutocompleteFormat suggests the fields of the Go type a command's
// templates run on (`{{.Names}}`, `{{.State.` for a struct), `json`, or a fixed list
// (commit's oci/docker). Positional arguments get no candidates (the shell's default).
import { CommandDef, FlagDef, HELP_FLAG, findSub } from './parser';
import { byName } from '../util/compare';

/** cobra's ShellCompDirective bits. */
export const DIRECTIVE = { Error: 1, NoSpace: 2, NoFileComp: 4, FilterFileExt: 8, FilterDirs: 16, KeepOrder: 32 } as const;

const DIRECTIVE_NAMES: [number, string][] = [
  [DIRECTIVE.Error, 'ShellCompDirectiveError'], [DIRECTIVE.NoSpace, 'ShellCompDirectiveNoSpace'],
  [DIRECTIVE.NoFileComp, 'ShellCompDirectiveNoFileComp'], [DIRECTIVE.FilterFileExt, 'ShellCompDirectiveFilterFileExt'],
  [DIRECTIVE.FilterDirs, 'ShellCompDirectiveFilterDirs'], [DIRECTIVE.KeepOrder, 'ShellCompDirectiveKeepOrder'],
];

export function directiveName(d: number): string {
  const names = DIRECTIVE_NAMES.filter(([bit]) => d & bit).map(([, n]) => n);
  return names.length ? names.join(', ') : 'ShellCompDirectiveDefault';
}

/**
 * What --format completes to, by command path (names, not aliases). A list of fields is the
 * template type's fields and methods, top level, as podman 4.3 suggests them: `Name}}` for a
 * value, `Name.` for a struct to go into. `json` only: podman's AutocompleteFormat(nil) (no
 * template type). `none`: no candidates (AutocompleteNone). A `values` list: fixed words.
 * Commands not listed: cobra's default (no function registered).
 */
type FormatCompletion = { fields: string[] } | { values: string[] } | 'json' | 'none';

const PS_FIELDS = ['CGROUPNS}}', 'Cgroup}}', 'Command}}', 'CreatedAt}}', 'CreatedHuman}}', 'ID}}', 'IPC}}', 'ImageID}}', 'MNT}}', 'NET}}',
  'Names}}', 'Networks}}', 'PIDNS}}', 'Pod}}', 'Ports}}', 'RunningFor}}', 'Size}}', 'State}}', 'Status}}', 'USERNS}}', 'UTS}}', 'User}}',
  'ListContainer.', 'AutoRemove}}', 'Created.', 'Exited}}', 'ExitedAt}}', 'ExitCode}}', 'Image}}', 'IsInfra}}', 'Labels.', 'Mounts}}',
  'Namespaces.', 'Pid}}', 'PodName}}', 'StartedAt}}'];
const STATS_FIELDS = ['AVGCPU}}', 'BlockIO}}', 'CPUPerc}}', 'ID}}', 'MemPerc}}', 'MemUsage}}', 'MemUsageBytes}}', 'NetIO}}', 'PIDS}}', 'Up}}',
  'ContainerStats.', 'AvgCPU}}', 'ContainerID}}', 'Name}}', 'PerCPU}}', 'CPU}}', 'CPUNano}}', 'CPUSystemNano}}', 'SystemNano}}', 'MemLimit}}',
  'NetInput}}', 'NetOutput}}', 'BlockInput}}', 'BlockOutput}}', 'PIDs}}', 'UpTime}}', 'Duration}}'];
const IMAGES_FIELDS = ['Created}}', 'CreatedAt}}', 'CreatedSince}}', 'CreatedTime}}', 'History}}', 'ID}}', 'Id}}', 'IsDangling}}', 'IsReadOnly}}',
  'Size}}', 'Repository}}', 'Tag}}', 'ImageSummary.', 'ParentId}}', 'RepoTags}}', 'RepoDigests}}', 'SharedSize}}', 'VirtualSize}}', 'Labels.',
  'Containers}}', 'ReadOnly}}', 'Dangling}}', 'Names}}', 'Digest}}'];
const HISTORY_FIELDS = ['Created}}', 'CreatedAt}}', 'CreatedBy}}', 'CreatedSince}}', 'ID}}', 'Size}}', 'ImageHistoryLayer.', 'Tags}}', 'Comment}}'];
const SEARCH_FIELDS = ['Index}}', 'Name}}', 'Description}}', 'Stars}}', 'Official}}', 'Automated}}', 'Tag}}'];
const SECRET_FIELDS = ['ID}}', 'CreatedAt.', 'UpdatedAt.', 'Spec.'];
const VOLUME_FIELDS = ['Name}}', 'Driver}}', 'Mountpoint}}', 'CreatedAt.', 'Status.', 'Labels.', 'Scope}}', 'Options.', 'UID}}', 'GID}}',
  'Anonymous}}', 'MountCount}}', 'NeedsCopyUp}}', 'NeedsChown}}', 'Timeout}}', 'StorageID}}'];
const NETWORK_FIELDS = ['Name}}', 'ID}}', 'Driver}}', 'NetworkInterface}}', 'Created.', 'Subnets}}', 'IPv6Enabled}}', 'Internal}}', 'DNSEnabled}}',
  'Labels.', 'Options.', 'IPAMOptions.'];
const INFO_FIELDS = ['Host.', 'Store.', 'Registries.', 'Plugins.', 'Version.'];
const EVENTS_FIELDS = ['Recycle', 'ToHumanReadable', 'ContainerExitCode}}', 'ID}}', 'Image}}', 'Name}}', 'Network}}', 'Status}}', 'Time.', 'Type}}',
  'HealthStatus}}', 'Details.', 'PodID}}', 'Attributes.'];

const FORMAT_COMPLETIONS: Record<string, FormatCompletion> = {
  'ps': { fields: PS_FIELDS },
  'container ps': { fields: PS_FIELDS },
  'container list': { fields: PS_FIELDS },
  'container inspect': {
    fields: ['ID}}', 'Created.', 'Path}}', 'Args}}', 'State.', 'Image}}', 'ImageDigest}}', 'ImageName}}', 'Rootfs}}', 'Pod}}', 'ResolvConfPath}}',
      'HostnamePath}}', 'HostsPath}}', 'StaticDir}}', 'OCIConfigPath}}', 'OCIRuntime}}', 'ConmonPidFile}}', 'PidFile}}', 'Name}}', 'RestartCount}}',
      'Driver}}', 'MountLabel}}', 'ProcessLabel}}', 'AppArmorProfile}}', 'EffectiveCaps}}', 'BoundingCaps}}', 'ExecIDs}}', 'GraphDriver.', 'SizeRw}}',
      'SizeRootFs}}', 'Mounts}}', 'Dependencies}}', 'NetworkSettings.', 'Namespace}}', 'IsInfra}}', 'IsService}}', 'Config.', 'HostConfig.'],
  },
  'stats': { fields: STATS_FIELDS },
  'container stats': { fields: STATS_FIELDS },
  'diff': 'json', 'container diff': 'json', 'image diff': 'json',
  'mount': 'json', 'container mount': 'json', 'image mount': 'json',
  'commit': { values: ['oci', 'docker'] }, 'container commit': { values: ['oci', 'docker'] },
  'push': { values: ['oci', 'v2s2'] }, 'image push': { values: ['oci', 'v2s2'] },
  'save': { values: ['oci-dir', 'oci-archive', 'docker-dir', 'docker-archive'] },
  'image save': { values: ['oci-dir', 'oci-archive', 'docker-dir', 'docker-archive'] },
  'build': 'none', 'image build': 'none', 'buildx build': 'none',
  'images': { fields: IMAGES_FIELDS },
  'image list': { fields: IMAGES_FIELDS },
  'history': { fields: HISTORY_FIELDS },
  'image history': { fields: HISTORY_FIELDS },
  'image inspect': {
    fields: ['ID}}', 'Digest}}', 'RepoTags}}', 'RepoDigests}}', 'Parent}}', 'Comment}}', 'Created.', 'Config.', 'Version}}', 'Author}}',
      'Architecture}}', 'Os}}', 'Size}}', 'VirtualSize}}', 'GraphDriver.', 'RootFS.', 'Labels.', 'Annotations.', 'ManifestType}}', 'User}}',
      'History}}', 'NamesHistory}}', 'HealthCheck.'],
  },
  'search': { fields: SEARCH_FIELDS },
  'image search': { fields: SEARCH_FIELDS },
  'inspect': 'none',
  'network inspect': { fields: NETWORK_FIELDS },
  'network ls': { fields: ['ID}}', 'Labels}}', 'Network.', ...NETWORK_FIELDS.filter((f) => f !== 'ID}}' && f !== 'Labels.')] },
  'pod inspect': {
    fields: ['InspectPodData.', 'ID}}', 'Name}}', 'Namespace}}', 'Created.', 'CreateCommand}}', 'ExitPolicy}}', 'State}}', 'Hostname}}', 'Labels.',
      'CreateCgroup}}', 'CgroupParent}}', 'CgroupPath}}', 'CreateInfra}}', 'InfraContainerID}}', 'InfraConfig.', 'SharedNamespaces}}',
      'NumContainers}}', 'Containers}}', 'CPUPeriod}}', 'CPUQuota}}', 'CPUShares}}', 'CPUSetCPUs}}', 'CPUSetMems}}', 'Mounts}}', 'Devices}}',
      'BlkioDeviceReadBps}}', 'BlkioDeviceWriteBps}}', 'VolumesFrom}}', 'SecurityOpts}}', 'MemoryLimit}}', 'MemorySwap}}', 'BlkioWeight}}',
      'BlkioWeightDevice}}'],
  },
  'pod ps': {
    fields: ['ContainerIds}}', 'ContainerNames}}', 'ContainerStatuses}}', 'Created}}', 'ID}}', 'Id}}', 'InfraID}}', 'InfraId}}', 'Labels.',
      'Networks}}', 'NumberOfContainers}}', 'ListPodsReport.', 'Cgroup}}', 'Containers}}', 'Name}}', 'Namespace}}', 'Status}}'],
  },
  'pod stats': { fields: ['CPU}}', 'MemUsage}}', 'MemUsageBytes}}', 'Mem}}', 'NetIO}}', 'BlockIO}}', 'PIDS}}', 'Pod}}', 'CID}}', 'Name}}'] },
  'volume inspect': { fields: VOLUME_FIELDS },
  'volume ls': { fields: ['VolumeConfigResponse.', 'InspectVolumeData.', ...VOLUME_FIELDS] },
  'secret inspect': { fields: SECRET_FIELDS },
  'secret ls': { fields: SECRET_FIELDS },
  'events': { fields: EVENTS_FIELDS },
  'version': { fields: ['Client.', 'Server.'] },
  'info': { fields: INFO_FIELDS },
  'system info': { fields: INFO_FIELDS },
  'system connection list': { fields: ['Name}}', 'Destination.', 'Default}}', 'URI}}', 'Identity}}', 'IsMachine}}'] },
  'system df': 'none',
};

/** The --format completion of a command path, if one is registered (for tests). */
export function formatCompletion(path: string): FormatCompletion | undefined {
  return FORMAT_COMPLETIONS[path];
}

/** podman's AutocompleteFormat: `json`, or the fields of the template type after the last `{{`. */
function completeFormat(spec: FormatCompletion, toComplete: string): { items: string[]; directive: number } {
  if (spec === 'none') return { items: [], directive: DIRECTIVE.NoFileComp };
  if (typeof spec === 'object' && 'values' in spec) return { items: spec.values, directive: DIRECTIVE.NoFileComp };
  if ('json'.startsWith(toComplete)) return { items: ['json'], directive: DIRECTIVE.NoFileComp };
  if (spec === 'json') return { items: [], directive: DIRECTIVE.NoFileComp };
  const vars = toComplete.split('{{');
  if (vars.length === 1) return { items: [], directive: DIRECTIVE.NoFileComp };
  const words = vars[vars.length - 1].split(' ');
  const fields = words[words.length - 1].split('.');
  // Only the top level is known here: `{{.Field` completes, `{{.Struct.Sub` gets nothing.
  if (fields.length !== 2) return { items: [], directive: DIRECTIVE.NoFileComp };
  const prefix = toComplete.split('.').slice(0, -1).join('.') + '.';
  const items = spec.fields.filter((f) => f.startsWith(fields[1])).map((f) => prefix + f);
  return { items, directive: DIRECTIVE.NoSpace | DIRECTIVE.NoFileComp };
}

function takesValue(f: FlagDef): boolean {
  return f.type !== 'bool' && f.type !== 'count';
}

/** The candidates and directive for `words` (the last one being completed) against the tree. */
export function complete(root: CommandDef, words: string[]): { items: [string, string][]; directive: number } {
  const toComplete = words.length ? words[words.length - 1] : '';
  const before = words.slice(0, -1);
  const path: CommandDef[] = [root];
  const cur = () => path[path.length - 1];
  const flagsOf = (c: CommandDef): FlagDef[] => [...(c.flags ?? []), ...(c === root ? [] : root.flags ?? []), HELP_FLAG];
  const findFlag = (c: CommandDef, word: string): FlagDef | undefined => {
    if (word.startsWith('--')) {
      const name = word.slice(2).split('=')[0];
      const given = c.flagAliases?.[name] ?? name;
      return flagsOf(c).find((f) => f.name === given);
    }
    const short = word.slice(1, 2);
    return flagsOf(c).find((f) => f.short === short);
  };
  let pendingFlag: FlagDef | undefined;
  let positional = false;
  for (const w of before) {
    if (pendingFlag) { pendingFlag = undefined; continue; }
    if (w.startsWith('-') && w.length > 1) {
      const f = findFlag(cur(), w);
      // `--flag value` (not `--flag=value`, nor `-fvalue`) takes the next word.
      if (f && takesValue(f) && !w.includes('=') && (w.startsWith('--') || w.length === 2)) pendingFlag = f;
      continue;
    }
    const sub = !positional && cur().subcommands?.length ? findSub(cur(), w) : undefined;
    if (sub && !sub.hidden) path.push(sub);
    else positional = true;
  }
  const cmdPath = path.slice(1).map((c) => c.name).join(' ');
  const flagValue = (f: FlagDef, value: string) => {
    const spec = f.name === 'format' ? FORMAT_COMPLETIONS[cmdPath] : undefined;
    if (!spec) return { items: [] as [string, string][], directive: 0 };
    const r = completeFormat(spec, value);
    return { items: r.items.map((x) => [x, ''] as [string, string]), directive: r.directive };
  };
  if (pendingFlag) return flagValue(pendingFlag, toComplete);
  if (toComplete.startsWith('--') && toComplete.includes('=')) {
    const f = findFlag(cur(), toComplete);
    if (f) return flagValue(f, toComplete.slice(toComplete.indexOf('=') + 1));
    return { items: [], directive: DIRECTIVE.NoFileComp };
  }
  if (toComplete.startsWith('-')) {
    const items: [string, string][] = [];
    const inherited = cur() === root ? [] : [...(root.flags ?? []), HELP_FLAG];
    const local = cur().flags ?? [];
    for (const f of [...inherited.filter((f) => !f.hidden).sort(byName), ...local.filter((f) => !f.hidden).sort(byName)]) {
      if (`--${f.name}`.startsWith(toComplete)) items.push([`--${f.name}`, f.help]);
      if (f.short && !toComplete.startsWith('--') && `-${f.short}`.startsWith(toComplete)) items.push([`-${f.short}`, f.help]);
    }
    return { items, directive: DIRECTIVE.NoFileComp };
  }
  const c = cur();
  if (!positional && c.subcommands?.length) {
    const items = c.subcommands.filter((s) => !s.hidden && s.name.startsWith(toComplete)).sort(byName).map((s) => [s.name, s.summary] as [string, string]);
    return { items, directive: DIRECTIVE.NoFileComp };
  }
  return { items: [], directive: 0 };
}

/** The text `__complete` prints on stdout (and what goes to stderr). */
export function completionOutput(root: CommandDef, words: string[], descriptions: boolean): { stdout: string; stderr: string } {
  const { items, directive } = complete(root, words);
  const lines = items.map(([v, d]) => (descriptions && d ? `${v}\t${d.split('\n')[0]}` : v));
  return {
    stdout: [...lines, `:${directive}`].join('\n') + '\n',
    stderr: `Completion ended with directive: ${directiveName(directive)}\n`,
  };
}
