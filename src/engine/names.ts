// Random container names in the familiar adjective_noun style.

const ADJECTIVES = [
  'agile', 'amber', 'ancient', 'bold', 'brave', 'bright', 'brisk', 'calm', 'candid', 'clever', 'cosmic', 'crisp',
  'curious', 'daring', 'deft', 'eager', 'earnest', 'elated', 'epic', 'fair', 'fervent', 'festive', 'fierce', 'frosty',
  'gallant', 'gentle', 'glad', 'golden', 'graceful', 'happy', 'hardy', 'humble', 'jolly', 'keen', 'kind', 'lively',
  'loyal', 'lucid', 'merry', 'mighty', 'modest', 'nimble', 'noble', 'patient', 'placid', 'plucky', 'polite', 'proud',
  'quick', 'quiet', 'radiant', 'rapid', 'ready', 'serene', 'sharp', 'shiny', 'silent', 'sleek', 'smart', 'snappy',
  'solid', 'spry', 'stoic', 'sturdy', 'sunny', 'swift', 'tender', 'thirsty', 'tidy', 'upbeat', 'valiant', 'vivid',
  'warm', 'wise', 'witty', 'zealous', 'zen',
];

const NOUNS = [
  'albatross', 'anchor', 'badger', 'beacon', 'bollard', 'breaker', 'buoy', 'capstan', 'cormorant', 'cove', 'crane',
  'current', 'delta', 'dinghy', 'dolphin', 'dory', 'estuary', 'ferry', 'fjord', 'gannet', 'gull', 'harbor', 'heron',
  'hull', 'inlet', 'jetty', 'keel', 'kelp', 'kestrel', 'lagoon', 'lantern', 'lighthouse', 'mast', 'marina', 'narwhal',
  'oar', 'orca', 'osprey', 'otter', 'pelican', 'petrel', 'piling', 'puffin', 'quay', 'reef', 'rudder', 'sail', 'seal',
  'skiff', 'sloop', 'starfish', 'stern', 'surf', 'tern', 'tide', 'trawler', 'tugboat', 'walrus', 'wharf', 'whale',
];

/** A uniform index below n; names need no cryptographic randomness (a taken name is retried). */
function randomIndex(n: number): number {
  return Math.floor(Math.random() * n);
}

export function randomName(): string {
  return `${ADJECTIVES[randomIndex(ADJECTIVES.length)]}_${NOUNS[randomIndex(NOUNS.length)]}`;
}

export const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
