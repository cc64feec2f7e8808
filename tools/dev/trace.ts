// npm run trace -- <traceId>: one trace from the local Jaeger (npm run observe,
// tools/stack/jaeger.sh) as an indented tree: each span's service, name, duration and
// attributes, children under their parent, links named. Jaeger built from its Go module
// has no UI assets, so this is how a trace is read here (JAEGER_QUERY_URL, by default
// http://127.0.0.1:16686, the query API's /api/traces/<traceId>).
import { pathToFileURL } from 'node:url';

export interface TraceSpan {
  spanId: string;
  /** the parent in this trace, if any (a remote caller's span is not in it) */
  parentId: string | undefined;
  /** the spans this one is linked to (Jaeger's FOLLOWS_FROM references) */
  links: string[];
  service: string;
  name: string;
  startUs: number;
  durationUs: number;
  attributes: Record<string, unknown>;
}

interface JaegerSpan {
  spanID: string;
  operationName: string;
  references?: { refType: 'CHILD_OF' | 'FOLLOWS_FROM'; spanID: string }[];
  startTime: number;
  duration: number;
  tags?: { key: string; value: unknown }[];
  processID: string;
}

interface JaegerTrace {
  spans: JaegerSpan[];
  processes: Record<string, { serviceName: string }>;
}

/** The trace's spans as the query API has them now; [] while it has none. */
export async function fetchTrace(queryUrl: string, traceId: string): Promise<TraceSpan[]> {
  const res = await fetch(`${queryUrl}/api/traces/${traceId}`);
  if (res.status === 404) return [];
  if (!res.ok) throw new Error(`${queryUrl} answered ${res.status}: ${await res.text()}`);
  const { data } = (await res.json()) as { data: JaegerTrace[] | null };
  return (data ?? []).flatMap((t) =>
    t.spans.map((s) => ({
      spanId: s.spanID,
      parentId: s.references?.find((r) => r.refType === 'CHILD_OF')?.spanID,
      links: (s.references ?? []).filter((r) => r.refType === 'FOLLOWS_FROM').map((r) => r.spanID),
      service: t.processes[s.processID]?.serviceName ?? '?',
      name: s.operationName,
      startUs: s.startTime,
      durationUs: s.duration,
      attributes: Object.fromEntries((s.tags ?? []).map((tag) => [tag.key, tag.value])),
    })),
  );
}

/** The spans as an indented tree, each child under its parent in start order. */
export function traceTree(spans: TraceSpan[]): string {
  const ids = new Set(spans.map((s) => s.spanId));
  const children = new Map<string | undefined, TraceSpan[]>();
  for (const span of [...spans].sort((a, b) => a.startUs - b.startUs)) {
    // A parent outside the trace (the caller's span): shown at the top.
    const parent = span.parentId && ids.has(span.parentId) ? span.parentId : undefined;
    children.set(parent, [...(children.get(parent) ?? []), span]);
  }
  const lines: string[] = [];
  const show = (parent: string | undefined, depth: number) => {
    for (const span of children.get(parent) ?? []) {
      const ms = (span.durationUs / 1000).toFixed(2);
      const shown = Object.entries(span.attributes)
        .filter(([key]) => !key.startsWith('otel.') && key !== 'span.kind')
        .map(([key, value]) => `${key}=${String(value)}`)
        .join(' ');
      const links = span.links.length > 0 ? ` links→${span.links.join(',')}` : '';
      lines.push(
        `${'  '.repeat(depth)}${span.service} ${span.name} ${ms} ms [${span.spanId}]${links} ${shown}`,
      );
      show(span.spanId, depth + 1);
    }
  };
  show(undefined, 0);
  return lines.join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const traceId = process.argv[2];
  if (!traceId || !/^[\da-f]{32}$/.test(traceId)) {
    console.error('usage: npm run trace -- <traceId> (32 hex digits, a log line’s traceId)');
    process.exit(2);
  }
  const queryUrl = process.env.JAEGER_QUERY_URL ?? 'http://127.0.0.1:16686';
  const spans = await fetchTrace(queryUrl, traceId);
  if (spans.length === 0) {
    console.error(`no trace ${traceId} at ${queryUrl} (not sampled, or not exported yet)`);
    process.exit(1);
  }
  console.log(traceTree(spans));
}
