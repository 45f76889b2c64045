// `image tree`: an image's layer hierarchy rendered like podman's (gotree-style branches).
// Without whatrequires it lists the image's layers from the base up; with it, the image's
// top layer and every layer (and image) built on top of it.
import { byString } from '../util/compare';
import type { Store } from '../storage/store';
import type { ImageRecord } from '../storage/images';
import type { LayerRecord } from '../storage/layers';
import { goHumanSize } from '../cli/format/units';

/** A node of a printed tree: its text and its children. */
export interface TreeNode {
  text: string;
  items: TreeNode[];
}

/** Render a tree like github.com/disiqueira/gotree: root text, then `├── ` / `└── ` items. */
export function renderTree(root: TreeNode): string {
  let out = root.text + '\n';
  const walk = (items: TreeNode[], spaces: boolean[]) => {
    items.forEach((item, i) => {
      const last = i === items.length - 1;
      const prefix = spaces.map((s) => (s ? '    ' : '│   ')).join('');
      const lines = item.text.split('\n');
      out += `${prefix}${last ? '└── ' : '├── '}${lines[0]}\n`;
      for (const l of lines.slice(1)) out += `${prefix}${last ? '    ' : '│   '}${l}\n`;
      if (item.items.length) walk(item.items, [...spaces, last]);
    });
  };
  walk(root.items, []);
  return out;
}

interface LayerNode {
  layer: LayerRecord;
  parent?: LayerNode;
  children: LayerNode[];
  images: ImageRecord[];
}

function buildLayerTree(store: Store): Map<string, LayerNode> {
  const nodes = new Map<string, LayerNode>();
  const layers = store.layers.all().sort((a, b) => a.created - b.created || byString(a.id, b.id));
  for (const l of layers) nodes.set(l.id, { layer: l, children: [], images: [] });
  for (const n of nodes.values()) {
    const p = n.layer.parent ? nodes.get(n.layer.parent) : undefined;
    if (p) { n.parent = p; p.children.push(n); }
  }
  // Oldest images first, so the tags of the original image lead.
  for (const img of [...store.images.list()].reverse()) {
    if (img.topLayer) nodes.get(img.topLayer)?.images.push(img);
  }
  return nodes;
}

function repoTags(node: LayerNode): string[] {
  const out: string[] = [];
  for (const img of node.images) for (const n of img.names) if (!n.includes('@') && !out.includes(n)) out.push(n);
  return out;
}

function layerText(node: LayerNode): string {
  const tags = repoTags(node);
  const size = goHumanSize(node.layer.uncompressedSize, 4).padStart(7);
  return `ID: ${node.layer.id.slice(0, 12)} Size: ${size}${tags.length ? ` Top Layer of: [${tags.join(' ')}]` : ''}`;
}

function addChildren(node: LayerNode, parent: TreeNode): void {
  const item: TreeNode = { text: layerText(node), items: [] };
  parent.items.push(item);
  // Linear while there are no siblings; each sibling opens its own branch.
  const next = !node.parent || node.parent.children.length <= 1 ? parent : item;
  for (const c of node.children) addChildren(c, next);
}

/** The tree text for `img`, ending with a newline (podman prints one more blank line after it). */
export function imageTree(store: Store, img: ImageRecord, whatrequires = false): string {
  const header = [
    `Image ID: ${img.id.slice(0, 12)}`,
    `Tags:     [${img.names.join(' ')}]`,
    `Size:     ${goHumanSize(img.size, 4)}`,
    img.topLayer ? 'Image Layers' : 'No Image Layers',
  ].join('\n');
  const root: TreeNode = { text: header, items: [] };
  if (img.topLayer) {
    const nodes = buildLayerTree(store);
    const top = nodes.get(img.topLayer);
    if (top) {
      if (whatrequires) addChildren(top, root);
      else {
        const chain: LayerNode[] = [];
        for (let n: LayerNode | undefined = top; n; n = n.parent) chain.unshift(n);
        for (const n of chain) root.items.push({ text: layerText(n), items: [] });
      }
    }
  }
  return renderTree(root);
}
