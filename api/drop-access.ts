// The drop-access gates (SPEC §9) in front of a drop: a presale's access code and the
// proof-of-work challenge's solution. They stand in front of the waiting room's join, or,
// for an event without one, of the reserve (a pass from the room proves the rest). Both
// are checked before any stock or queue state is touched, so a refusal costs no stock, no
// place, and no write to the record.
//
// Where the settings come from: this process's view of the event (api/event-views.ts),
// read after the last catalog push and at most a second old, so an event with neither
// gate costs a map lookup per request and no read. A solution costs ~5 µs of CPU and one
// Redis command; a code one Postgres statement the first time this process sees it.
import type { Context } from 'hono';
import { Counter, type Registry } from 'prom-client';
import type { CodeUse } from '../core/access/codes.js';
import { type DropAccess as Gates, NO_DROP_ACCESS } from '../core/catalog/drop-access.js';
import type { EventView } from '../core/reservations/event-stock.js';
import type { EventViews } from './event-views.js';
import { ApiError, type Refusals } from './problem.js';

export const REFUSALS = [
  'access_code_required',
  'access_code_invalid',
  'access_code_used',
  'challenge_required',
  'challenge_invalid',
] as const;
type Refusal = (typeof REFUSALS)[number];

const DETAILS: Record<Refusal, string> = {
  access_code_required: 'This event is in presale: send your presale code as Access-Code',
  access_code_invalid: 'The Access-Code is not a presale code of this event',
  access_code_used: 'The Access-Code was used by another account',
  challenge_required:
    'Send the solution of a challenge from GET /v1/events/{eventId}/challenge as Challenge-Solution',
  challenge_invalid:
    'The Challenge-Solution is wrong, used before or expired: solve a new challenge',
};

/** Documented on the gated routes, read by the gate. */
export const dropAccessParameters = [
  {
    in: 'header' as const,
    name: 'Access-Code',
    required: false,
    // No maxLength: the header is read only while a presale lasts (a longer one is simply
    // not a code then), so the schema may not promise to refuse it otherwise.
    schema: { type: 'string' as const },
    description: 'A presale code of the event, while its presale lasts (SPEC §9)',
  },
  {
    in: 'header' as const,
    name: 'Challenge-Solution',
    required: false,
    schema: { type: 'string' as const },
    description:
      'Base64 of the JSON ALTCHA’s widget submits for a challenge of GET /v1/events/{eventId}/challenge, when the event has its bot challenge on (SPEC §9); good once',
  },
];

/** The gate's refusals, as the gated operations declare them (SPEC §9). */
export const DROP_ACCESS_REFUSALS: Refusals = DETAILS;

export interface DropAccessDeps {
  views: Pick<EventViews, 'settled' | 'current'>;
  codes: { use(eventId: string, code: string, userId: string): Promise<CodeUse> };
  challenges: { use(eventId: string, solution: string): Promise<boolean> };
  registry: Registry;
}

export function createDropAccess({ views, codes, challenges, registry }: DropAccessDeps) {
  const refusals = new Counter({
    name: 'drop_access_refused_total',
    help: 'Joins and reserves refused by a drop-access gate (SPEC §9), by reason',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  const refusedFor = Object.fromEntries(REFUSALS.map((r) => [r, refusals.labels(r)])) as Record<
    Refusal,
    ReturnType<typeof refusals.labels>
  >;

  const refuse = (reason: Refusal): never => {
    refusedFor[reason].inc();
    throw new ApiError(reason, DETAILS[reason]);
  };

  /** Both gates, cheapest refusal first; the solution is spent before the code is bound. */
  async function check(gates: Gates, eventId: string, userId: string, c: Context) {
    const presale = gates.presaleEndsAt > Date.now();
    const challenged = gates.challengeMaxNumber > 0;
    const solution = challenged ? c.req.header('challenge-solution') : undefined;
    const code = presale ? c.req.header('access-code') : undefined;
    if (challenged && solution === undefined) refuse('challenge_required');
    if (presale && code === undefined) refuse('access_code_required');
    if (solution !== undefined && !(await challenges.use(eventId, solution)))
      refuse('challenge_invalid');
    if (code !== undefined) {
      const use = await codes.use(eventId, code, userId);
      if (use !== 'ok') refuse(use === 'used' ? 'access_code_used' : 'access_code_invalid');
    }
  }

  function gateOf(
    view: EventView | null,
    step: 'join' | 'reserve',
    eventId: string,
    userId: string,
    c: Context,
  ): Promise<void> | undefined {
    const gates = view?.access ?? NO_DROP_ACCESS;
    if (gates.challengeMaxNumber === 0 && gates.presaleEndsAt === 0) return undefined;
    // In front of the waiting room when the event has one; the pass speaks for the reserve.
    if ((step === 'join') !== view?.queue.enabled) return undefined;
    return check(gates, eventId, userId, c);
  }

  return {
    /**
     * The gates of this step for the caller: undefined when the event has none (no await
     * on the hot path), else a promise that rejects with the refusal (403).
     */
    gate(
      step: 'join' | 'reserve',
      eventId: string,
      userId: string,
      c: Context,
    ): Promise<void> | undefined {
      const view = views.settled(eventId);
      if (view !== undefined) return gateOf(view, step, eventId, userId, c);
      return views
        .current(eventId, { clean: 'settings' })
        .then((read) => gateOf(read, step, eventId, userId, c));
    },
  };
}

export type DropAccess = ReturnType<typeof createDropAccess>;
