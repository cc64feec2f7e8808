// Group commit: the reserves for one event that reach this process in the same turn of the
// event loop go to Redis as one script call (lua/reserveBatch-n.lua), each request with its
// own reply. Redis pays its per-call cost (reading, parsing and answering a command) once
// per group, and ioredis writes once. A lone request goes as it always did (reserve-7.lua),
// at the end of the same turn: no timer ever holds a request back.
//
// A group is sent for several requests, so it runs in none of their contexts (detached):
// with tracing on, the scheduling request's span would otherwise parent the group's call
// and its trace id tag the flush's log lines. Each request's own span (holds.ts) is told
// the size of the group it went in.
import { detached } from '../../platform/tracing.js';
import type { ScriptReply } from './hold.js';
import type { EventKeys } from './keys.js';
import type { RunScript } from './scripts.js';

/** One reserve as the scripts take it. */
export interface ReserveRequest {
  holdId: string;
  eventId: string;
  categoryId: string;
  userId: string;
  quantity: number;
  /** of the request body; '' without an Idempotency-Key */
  fingerprint: string;
  idemKey: string;
  /** the queue pass as the api checked it: its id, 'invalid', or '' */
  queuePass: string;
  /** the W3C traceparent of the request's hold span, when traced: its outbox entry carries it */
  traceparent?: string | undefined;
  /** the traced request's id, carried beside its traceparent (none without one) */
  requestId?: string | undefined;
}

/** Told the size of the group a request went in (1: alone, reserve-7.lua). */
export type Grouped = (size: number) => void;

interface Waiting {
  request: ReserveRequest;
  grouped: Grouped | undefined;
  resolve: (reply: ScriptReply) => void;
  reject: (err: unknown) => void;
}

/**
 * Script calls of one event a process keeps out at once: enough that Redis works on one
 * group while the api reads the next reserves and answers the last group's, few enough
 * that the reserves arriving meanwhile gather into groups instead of going one by one.
 */
const DEFAULT_IN_FLIGHT = 8;

export interface ReserveBatchOptions {
  /** the most requests one script call places (bounds the script's run time); 1: no groups */
  maxBatch: number;
  /** script calls of one event out at once (DEFAULT_IN_FLIGHT) */
  maxInFlight?: number;
  idempotencyTtlMs: number;
  defaultHoldTtlSeconds: number;
  /** told the size of each group sent */
  sent?: (size: number) => void;
}

/** A reserve as one script call of its own (reserve-7.lua): the lone request's way. */
export function reserveAlone(
  run: RunScript,
  k: EventKeys,
  r: ReserveRequest,
  options: Pick<ReserveBatchOptions, 'idempotencyTtlMs' | 'defaultHoldTtlSeconds'>,
): Promise<ScriptReply> {
  const args = [
    r.holdId,
    r.eventId,
    r.categoryId,
    r.userId,
    r.quantity,
    r.fingerprint,
    options.idempotencyTtlMs,
    options.defaultHoldTtlSeconds,
    r.queuePass,
  ];
  if (r.traceparent) {
    args.push(r.traceparent);
    if (r.requestId) args.push(r.requestId);
  }
  return run(
    'reserve',
    [
      k.event,
      k.category(r.categoryId),
      k.user(r.userId),
      k.hold(r.holdId),
      k.expiry,
      k.outbox,
      r.idemKey,
    ],
    args,
  );
}

/** A group of one event's reserves as one script call (reserveBatch-n.lua): one reply each. */
export async function reserveGroup(
  run: RunScript,
  k: EventKeys,
  group: ReserveRequest[],
  options: Pick<ReserveBatchOptions, 'idempotencyTtlMs' | 'defaultHoldTtlSeconds'>,
): Promise<ScriptReply[]> {
  const keys = [k.event, k.expiry, k.outbox];
  const args: (string | number)[] = [
    group[0]?.eventId ?? '',
    options.idempotencyTtlMs,
    options.defaultHoldTtlSeconds,
  ];
  for (const r of group) {
    keys.push(k.category(r.categoryId), k.user(r.userId), k.hold(r.holdId), r.idemKey);
    args.push(r.holdId, r.categoryId, r.userId, r.quantity, r.fingerprint, r.queuePass);
  }
  // After the requests: the traced ones' trace context, as (1-based request, traceparent,
  // request id).
  group.forEach((r, i) => {
    if (r.traceparent) args.push(i + 1, r.traceparent, r.requestId ?? '');
  });
  const replies = (await run('reserveBatch', keys, args)) as unknown as ScriptReply[];
  if (replies.length !== group.length || !Array.isArray(replies[0])) {
    throw new Error(`reserveBatch answered ${replies.length} replies for ${group.length}`);
  }
  return replies;
}

export function createReserveBatcher(
  run: RunScript,
  keysOf: (eventId: string) => EventKeys,
  options: ReserveBatchOptions,
) {
  const maxInFlight = options.maxInFlight ?? DEFAULT_IN_FLIGHT;
  /** Per event: the reserves not sent yet, and how many script calls are out. */
  const events = new Map<string, { waiting: Waiting[]; inFlight: number }>();
  let flushing = false;

  const eventOf = (eventId: string) => {
    let event = events.get(eventId);
    if (event === undefined) {
      event = { waiting: [], inFlight: 0 };
      events.set(eventId, event);
    }
    return event;
  };

  /** Sends what waits for the event while fewer than maxInFlight calls are out. */
  const drain = detached((eventId: string) => {
    const event = events.get(eventId);
    if (!event) return;
    while (event.waiting.length > 0 && event.inFlight < maxInFlight) {
      const group = event.waiting.splice(0, options.maxBatch);
      event.inFlight += 1;
      send(eventId, group).finally(() => {
        event.inFlight -= 1;
        // The next group goes as soon as a call comes back: the requests that arrived
        // meanwhile, however many turns that took.
        if (event.waiting.length > 0) drain(eventId);
        else if (event.inFlight === 0) events.delete(eventId);
      });
    }
  });

  function send(eventId: string, group: Waiting[]): Promise<unknown> {
    options.sent?.(group.length);
    const k = keysOf(eventId);
    for (const w of group) w.grouped?.(group.length);
    const [only] = group;
    if (only && group.length === 1) {
      return reserveAlone(run, k, only.request, options).then(only.resolve, only.reject);
    }
    return reserveGroup(
      run,
      k,
      group.map((w) => w.request),
      options,
    ).then(
      (replies) => {
        group.forEach((w, i) => {
          w.resolve(replies[i] as ScriptReply);
        });
      },
      (err: unknown) => {
        for (const w of group) w.reject(err);
      },
    );
  }

  const flush = () => {
    flushing = false;
    for (const eventId of events.keys()) drain(eventId);
  };

  return {
    /**
     * Places one reserve with the others of its event; its own reply. `grouped` hears the
     * size of the group it went in.
     */
    place(request: ReserveRequest, grouped?: Grouped): Promise<ScriptReply> {
      if (options.maxBatch <= 1) {
        grouped?.(1);
        return reserveAlone(run, keysOf(request.eventId), request, options);
      }
      return new Promise((resolve, reject) => {
        eventOf(request.eventId).waiting.push({ request, grouped, resolve, reject });
        // At the end of this turn (setImmediate: after its I/O callbacks), so the reserves
        // that arrived with this one go with it; later ones wait for a call to come back.
        if (!flushing) {
          flushing = true;
          setImmediate(flush);
        }
      });
    },
  };
}

export type ReserveBatcher = ReturnType<typeof createReserveBatcher>;
