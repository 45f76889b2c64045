// One handle on the whole engine: what the CLI's Ctx and the API service hold.
// Two implementations: local/engines.ts (in-process) and, later, remote/ (a Libpod API client).
import type { ImageEngine } from './images';
import type { ContainerEngine } from './containers';
import type { VolumeEngine } from './volumes';
import type { PodEngine } from './pods';
import type { BuildEngine } from './build';
import type { NetworkEngine } from './networks';
import type { SecretEngine } from './secrets';
import type { GenerateEngine } from './generate';
import type { KubeEngine } from './kube';

export interface Engines {
  images(): ImageEngine;
  containers(): ContainerEngine;
  volumes(): VolumeEngine;
  pods(): PodEngine;
  build(): BuildEngine;
  networks(): NetworkEngine;
  secrets(): SecretEngine;
  generate(): GenerateEngine;
  kube(): KubeEngine;
}
