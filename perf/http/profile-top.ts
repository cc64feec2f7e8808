// Where a V8 CPU profile (node --cpu-prof) spent its time: the functions with the most
// self time, and the same summed per package, so a bench note can name what is hot.
//
//   node --import tsx perf/http/profile-top.ts .stack/profiles/<file>.cpuprofile [top=25]
import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
const [file, top = '25'] = process.argv.slice(2);
if (!file) throw new Error('usage: profile-top.ts <file.cpuprofile> [top]');
const profile = JSON.parse(readFileSync(file, 'utf8')) as {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
};
const total = profile.samples.length;
const byNode = new Map<number, Node>(profile.nodes.map((n) => [n.id, n]));
const selfByFunction = new Map<string, number>();
const selfByPackage = new Map<string, number>();
const where = (url: string) => {
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];
  if (pkg) return pkg;
  if (url.startsWith('node:')) return 'node core';
  if (!url) return '(native, gc, idle)';
  return `ours: ${url.replace(/^.*\/(api|common|bench|worker|reaper)\//, '$1/')}`;
};
for (const id of profile.samples) {
  const node = byNode.get(id);
  if (!node) continue;
  const { functionName, url, lineNumber } = node.callFrame;
  const fn = `${functionName || '(anonymous)'} ${url.split('/').slice(-2).join('/')}:${lineNumber + 1}`;
  selfByFunction.set(fn, (selfByFunction.get(fn) ?? 0) + 1);
  const pkg = where(url).replace(/^ours: .*/, 'ours');
  selfByPackage.set(pkg, (selfByPackage.get(pkg) ?? 0) + 1);
}
const print = (title: string, map: Map<string, number>) => {
  console.log(`\n${title}`);
  for (const [name, n] of [...map].sort((a, b) => b[1] - a[1]).slice(0, Number(top)))
    console.log(`${((100 * n) / total).toFixed(1).padStart(5)}%  ${name}`);
};
print('self time by package', selfByPackage);
print('self time by function', selfByFunction);
