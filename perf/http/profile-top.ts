// Where a V8 CPU profile (node --cpu-prof) spent its busy time (idle samples left out): the
// functions with the most self time, the same summed per package, and the functions with
// the most inclusive time (themselves and what they called: a middleware layer, a library
// call), so a bench note can name what is hot.
//
//   node --import tsx perf/http/profile-top.ts .stack/profiles/<file>.cpuprofile [top=25]
import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
const [file, top = '25'] = process.argv.slice(2);
if (!file) throw new Error('usage: profile-top.ts <file.cpuprofile> [top]');
const profile = JSON.parse(readFileSync(file, 'utf8')) as { nodes: Node[]; samples: number[] };
const byNode = new Map<number, Node>(profile.nodes.map((n) => [n.id, n]));
const parentOf = new Map<number, number>();
for (const node of profile.nodes)
  for (const child of node.children ?? []) parentOf.set(child, node.id);

const where = (url: string) => {
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];
  if (pkg) return pkg;
  if (url.startsWith('node:')) return 'node core';
  if (!url) return '(native, gc)';
  return 'ours';
};
const nameOf = ({ callFrame: { functionName, url, lineNumber } }: Node) =>
  `${functionName || '(anonymous)'} ${url.split('/').slice(-2).join('/')}:${lineNumber + 1}`;

const selfByFunction = new Map<string, number>();
const selfByPackage = new Map<string, number>();
const inclusive = new Map<string, number>();
const add = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);
let busy = 0;
for (const id of profile.samples) {
  const node = byNode.get(id);
  if (!node || node.callFrame.functionName === '(idle)') continue;
  busy += 1;
  add(selfByFunction, nameOf(node));
  add(selfByPackage, where(node.callFrame.url));
  // Each function once per sample, however deep it recurses.
  const seen = new Set<string>();
  for (let at: number | undefined = id; at !== undefined; at = parentOf.get(at)) {
    const name = nameOf(byNode.get(at) as Node);
    if (!seen.has(name)) add(inclusive, name);
    seen.add(name);
  }
}
const print = (title: string, map: Map<string, number>) => {
  console.log(`\n${title}`);
  for (const [name, n] of [...map].sort((a, b) => b[1] - a[1]).slice(0, Number(top)))
    console.log(`${((100 * n) / busy).toFixed(1).padStart(5)}%  ${name}`);
};
console.log(`${busy} busy samples of ${profile.samples.length}`);
print('self time by package', selfByPackage);
print('self time by function', selfByFunction);
inclusive.delete('(root) :0');
print('inclusive time by function', inclusive);
