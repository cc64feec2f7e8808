// The shape docs/ARCHITECTURE.md draws, held by the imports themselves: no import circle,
// floors that only import downwards, processes that do not import each other, and core's
// sub-domains in one order.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const SOURCES = ['api', 'core', 'platform', 'worker', 'reaper', 'drizzle'];
const IMPORT =
  /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+'(\.[^']+)'|(?:^|\n)\s*import\s+'(\.[^']+)'/g;

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'migrations' ? [] : sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** Every source file and the source files it imports (relative imports, `.js` → `.ts`). */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of SOURCES.flatMap(sourceFiles)) {
    const text = readFileSync(join(ROOT, file), 'utf8');
    const targets = [...text.matchAll(IMPORT)]
      .map((m) => (m[1] ?? m[2]) as string)
      .map((spec) => relative(ROOT, resolve(ROOT, dirname(file), spec)).replace(/\.js$/, '.ts'));
    graph.set(file, [...new Set(targets)]);
  }
  return graph;
}

/** The strongly connected components of more than one file (Tarjan), i.e. the circles. */
function circles(graph: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (file: string) => {
    index.set(file, next);
    low.set(file, next++);
    stack.push(file);
    onStack.add(file);
    for (const target of graph.get(file) ?? []) {
      if (!graph.has(target)) continue;
      if (!index.has(target)) {
        visit(target);
        low.set(file, Math.min(low.get(file) as number, low.get(target) as number));
      } else if (onStack.has(target)) {
        low.set(file, Math.min(low.get(file) as number, index.get(target) as number));
      }
    }
    if (low.get(file) === index.get(file)) {
      const component: string[] = [];
      let member: string | undefined;
      do {
        member = stack.pop() as string;
        onStack.delete(member);
        component.push(member);
      } while (member !== file);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const file of graph.keys()) if (!index.has(file)) visit(file);
  return found;
}

/** The imports from files under `from` into files under any of `into`. */
function importsAcross(graph: Map<string, string[]>, from: string, into: string[]): string[] {
  return [...graph].flatMap(([file, targets]) =>
    file.startsWith(`${from}/`)
      ? targets
          .filter((target) => into.some((dir) => target.startsWith(`${dir}/`)))
          .map((target) => `${file} → ${target}`)
      : [],
  );
}

/** core's sub-domains, lowest first: each imports only from those before it. */
const CORE_ORDER = ['auth', 'catalog', 'reservations', 'queue', 'access', 'records', 'admin'];

const graph = importGraph();

describe('the import graph', () => {
  it('reads the whole tree', () => {
    expect(graph.get('core/reservations/holds.ts')).toContain('core/reservations/hold.ts');
    expect(graph.size).toBeGreaterThan(100);
  });

  it('has no import circle', () => {
    expect(circles(graph)).toEqual([]);
  });

  it.each([
    ['platform', ['api', 'core', 'worker', 'reaper']],
    ['core', ['api', 'worker', 'reaper']],
    ['drizzle', ['api', 'core', 'platform', 'worker', 'reaper']],
    ['api', ['worker', 'reaper']],
    ['worker', ['api', 'reaper']],
    ['reaper', ['api', 'worker']],
  ])('%s imports nothing from %j', (from, into) => {
    expect(importsAcross(graph, from, into)).toEqual([]);
  });

  it.each(CORE_ORDER.map((domain, i) => [domain, CORE_ORDER.slice(i + 1)] as const))(
    'core/%s imports nothing from the sub-domains above it (%j)',
    (domain, above) => {
      expect(
        importsAcross(
          graph,
          `core/${domain}`,
          above.map((d) => `core/${d}`),
        ),
      ).toEqual([]);
    },
  );

  it('finds a circle when there is one', () => {
    const circle = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts']],
      ['c.ts', ['a.ts']],
      ['d.ts', ['a.ts']],
    ]);
    expect(circles(circle)).toEqual([['a.ts', 'b.ts', 'c.ts']]);
  });
});
