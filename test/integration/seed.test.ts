// The demo `npm start` seeds (tools/dev/seed.ts) as a newcomer meets it: the seed runs
// twice without making anything twice, and the seated drop's printed lines, pasted into a
// shell as they are, answer what they say against a running api and reaper: the map, the
// seats with their ETag (304 while unchanged), two seats by id, four adjacent ones. Another
// seed keeps the seats those holds took.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { ctx, useTestApp } from '../helpers/app.js';
import { runEntry, terminate } from '../helpers/processes.js';
import { eventually, functionalConfig } from '../helpers/services.js';

useTestApp(functionalConfig());

const exec = promisify(execFile);

// As npm start runs it beside the api: on a database an earlier run seeded, the demo
// events are new to this Redis, fenced until its verifier has checked them.
let reaper: ReturnType<typeof runEntry> | undefined;
afterAll(async () => {
  if (reaper) await terminate(reaper);
});

/** One seed run against the test services, printing its lines for the test app's port. */
async function seed(): Promise<string> {
  const run = runEntry('tools/dev/seed.ts', { PORT: new URL(ctx.baseUrl).port });
  const code = await run.exited;
  expect(code, run.output()).toBe(0);
  return run.output();
}

/** The printed command lines of the block whose heading starts with `heading`. */
function block(output: string, heading: string): string[] {
  const lines = output.split('\n');
  const start = lines.findIndex((l) => l.startsWith(heading));
  if (start < 0) throw new Error(`no "${heading}" in the seed's output:\n${output}`);
  const end = lines.findIndex((l, i) => i > start && !l.startsWith('  '));
  return lines.slice(start + 1, end < 0 ? undefined : end).map((l) => l.slice(2));
}

/** Pastes `lines` into one bash, as a reader would; each line's output, in order. */
async function paste(lines: string[]): Promise<string[]> {
  const marker = `--- ${randomUUID()}`;
  const script = lines.map((l) => `${l}\necho; echo '${marker}'`).join('\n');
  const { stdout } = await exec('bash', ['-c', script], { timeout: 30_000 });
  return stdout
    .split(`${marker}\n`)
    .slice(0, lines.length)
    .map((s) => s.trim());
}

type SeatStatus = { sections: { rows: { status: string }[] }[] };
const statusRows = (doc: SeatStatus) =>
  doc.sections.map((s) => s.rows.map((r) => r.status).join('|'));

describe('the demo drop of npm start', () => {
  it('seeds a seated drop once and its printed lines pick seats as they say', async () => {
    await seed();
    const output = await seed();
    const seated = block(output, 'pick your seats');
    expect(seated).toHaveLength(7);
    // A fan of this test's own: the printed address may be taken by an earlier run.
    const email = `fan-${randomUUID()}@example.com`;
    const signIn = block(output, 'try it once the api is up')
      .filter((l) => l.includes('/v1/auth/'))
      .map((l) => l.replaceAll('fan@example.com', email));
    expect(signIn).toHaveLength(2);
    const seatsUrl = /^SEATED=(\S+)$/.exec(seated[0] as string)?.[1];
    expect(seatsUrl).toBeDefined();
    const again = seated[4] as string;
    expect(again).toContain('if-none-match');
    const eventId = /\/v1\/events\/([^/]+)\//.exec(seatsUrl as string)?.[1] as string;
    reaper = runEntry('reaper/main.ts');
    await eventually(async () => (await ctx.services.holds.fence(eventId)).verified, {
      timeoutMs: 30_000,
      what: 'the seated demo event verified by the reaper',
    });

    const answers = await paste([...signIn, ...seated, again]);
    const [registered, , , map, seats, , unchanged, exact, adjacent, changed] = answers;
    expect(JSON.parse(registered as string)).toMatchObject({ email, role: 'user' });
    const mapDoc = JSON.parse(map as string);
    expect(mapDoc.capacity).toBe(184);
    expect(
      mapDoc.sections.map((s: { name: string; rows: unknown[] }) => [s.name, s.rows.length]),
    ).toEqual([
      ['Stalls', 6],
      ['Circle', 4],
    ]);
    expect(statusRows(JSON.parse(seats as string))).toEqual([
      Array(6).fill('a'.repeat(20)).join('|'),
      Array(4).fill('a'.repeat(16)).join('|'),
    ]);
    expect(unchanged).toBe('304');
    expect(JSON.parse(exact as string)).toMatchObject({
      status: 'held',
      quantity: 2,
      seats: ['Circle-A-8', 'Circle-A-9'],
    });
    // Best available: the front row of the first section, the four nearest its middle.
    expect(JSON.parse(adjacent as string)).toMatchObject({
      status: 'held',
      quantity: 4,
      seats: ['Stalls-A-9', 'Stalls-A-10', 'Stalls-A-11', 'Stalls-A-12'],
    });
    expect(changed).toBe('200');

    const held = ['aaaaaaaahhhhaaaaaaaa', ...Array(5).fill('a'.repeat(20))].join('|');
    const readSeats = async () =>
      statusRows((await (await fetch(`${seatsUrl}/seats`)).json()) as SeatStatus);
    expect(await readSeats()).toEqual([
      held,
      ['aaaaaaahhaaaaaaa', ...Array(3).fill('a'.repeat(16))].join('|'),
    ]);
    // A third run sets Redis again from the catalog: the holds' seats stay theirs.
    await seed();
    expect((await readSeats())[0]).toBe(held);
    const event = (await (await fetch(`${ctx.baseUrl}/v1/events/${eventId}`)).json()) as {
      categories: unknown[];
    };
    expect(event.categories).toEqual([
      expect.objectContaining({ capacity: 184, seated: true, noSingleSeatGaps: true }),
    ]);
  }, 120_000);
});
