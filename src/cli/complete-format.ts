// --format values for shell completion: podman's AutocompleteFormat suggests the fields of the
// Go type a command's templates run on (`{{.Names}}`, `{{.State.` for a struct), `json`, or
// a fixed list (commit's oci/docker).
import { DIRECTIVE } from './complete-directives';

/**
 * What --format completes to, by command path (names, not aliases). A list of fields is the
 * template type's fields and methods, top level, as podman 4.3 suggests them: `Name}}` for a
 * value, `Name.` for a struct to go into. `json` only: podman's AutocompleteFormat(nil) (no
 * template type). `none`: no candidates (AutocompleteNone). A `values` list: fixed words.
 * Commands not listed: cobra's default (no function registered).
 */
export type FormatCompletion = { fields: string[] } | { values: string[] } | 'json' | 'none';

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
  'generate systemd': 'json',
  'auto-update': { fields: ['Unit}}', 'Container}}', 'ContainerName}}', 'ContainerID}}', 'Image}}', 'Policy}}', 'Updated}}'] },
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
  'system events': { fields: EVENTS_FIELDS },
  'version': { fields: ['Client.', 'Server.'] },
  'system version': { fields: ['Client.', 'Server.'] },
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
export function completeFormat(spec: FormatCompletion, toComplete: string): { items: string[]; directive: number } {
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
