// A drop's clients over real HTTP, as phones behave: hundreds of users reserve, pay (or
// give back, or walk away), a few cancel what they bought, and every one retries a 503
// after its Retry-After with the same Idempotency-Key. Every answer is kept with its time,
// and the ledger knows what the api acknowledged: the holds it answered 201 for, the
// confirmations it answered 200 for, the cancellations it answered 200 for.
import { randomUUID } from 'node:crypto';

export type Route = 'reserve' | 'confirm' | 'release' | 'cancel' | 'probe';
export type Json = Record<string, unknown>;

export interface Answer {
  route: Route;
  status: number;
  code?: string;
  retryAfter: string | null;
  body: Json;
  /** Date.now() when the request left and when its answer was read. */
  start: number;
  end: number;
}

export interface User {
  index: number;
  id: string;
  token: string;
}

export interface Category {
  id: string;
  capacity: number;
}

export interface Hold {
  id: string;
  user: User;
  categoryId: string;
  quantity: number;
  heldAt: number;
  expiresAt: number;
  /** What the client was last told about it. */
  state: 'held' | 'confirmed' | 'released' | 'cancelled' | 'expired' | 'not_found' | 'refused';
}

export interface Pace {
  /** Think time before each reserve while the surge runs (ms). */
  thinkMs: [number, number];
  /** Time from hold to payment (ms). */
  payMs: [number, number];
  /** Of the holds: confirmed, released; the rest is abandoned (expires). */
  confirmShare: number;
  releaseShare: number;
  /** Of the confirmations: cancelled a little later. */
  cancelShare: number;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const between = ([a, b]: [number, number]) => a + Math.random() * (b - a);
const pick = <T>(items: T[]): T => items[Math.floor(Math.random() * items.length)] as T;

export async function inPool<T, R>(items: T[], width: number, fn: (t: T) => Promise<R>) {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i] as T);
      }
    }),
  );
  return out;
}

/** One HTTP call; the body parsed as JSON when it is. */
export async function http(
  base: string,
  method: string,
  path: string,
  token?: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await res.text();
  let json: Json = {};
  try {
    json = text ? (JSON.parse(text) as Json) : {};
  } catch {
    json = { text };
  }
  return { status: res.status, body: json, headers: res.headers };
}

export class DropClient {
  readonly answers: Answer[] = [];
  readonly holds = new Map<string, Hold>();
  /** hold id → when the api answered 200 to its confirm. */
  readonly confirmed = new Map<string, number>();
  readonly cancelAttempted = new Set<string>();
  readonly cancelled = new Set<string>();
  /** 'surge': paced traffic; 'buyout': reserve + confirm until sold out; 'stop'. */
  mode: 'surge' | 'buyout' | 'stop' = 'surge';
  /** Categories that answered sold_out with nothing left during this buy-out round. */
  readonly soldOut = new Set<string>();
  /** Retries of 503s stop after this time (Date.now()). */
  giveUpAt = Number.POSITIVE_INFINITY;
  /** Users stop after this time (Date.now()), whatever the answers: no endless loop. */
  deadline = Number.POSITIVE_INFINITY;

  constructor(
    readonly base: string,
    readonly eventId: string,
    readonly categories: Category[],
    readonly pace: Pace,
  ) {}

  /** A method, so TypeScript does not narrow `mode` across an await. */
  stopped(): boolean {
    return this.mode === 'stop' || Date.now() >= this.deadline;
  }

  // --------------------------------------------------------------------- HTTP

  /** One call of a route whose answers are kept; a network failure is status 0. */
  async call(
    route: Route,
    method: string,
    path: string,
    token: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Answer> {
    const start = Date.now();
    let answer: Answer;
    try {
      const res = await http(this.base, method, path, token, body, headers);
      answer = {
        route,
        status: res.status,
        code: typeof res.body.code === 'string' ? res.body.code : undefined,
        retryAfter: res.headers.get('retry-after'),
        body: res.body,
        start,
        end: Date.now(),
      };
    } catch (err) {
      answer = {
        route,
        status: 0,
        code: String((err as Error).cause ?? err),
        retryAfter: null,
        body: {},
        start,
        end: Date.now(),
      };
    }
    this.answers.push(answer);
    return answer;
  }

  /** Retries a 503 (or a network failure) after its Retry-After (at most 1 s), as a phone does. */
  async untilAnswered(make: () => Promise<Answer>): Promise<Answer> {
    for (;;) {
      const a = await make();
      if (a.status !== 503 && a.status !== 0) return a;
      if (this.stopped() || Date.now() > this.giveUpAt) return a;
      const after = Math.min(Math.max(Number(a.retryAfter ?? 1) || 1, 0.2), 1);
      await sleep(after * 1000 * (0.5 + Math.random() * 0.5));
    }
  }

  reserve(user: User, categoryId: string, quantity: number, key: string, route: Route = 'reserve') {
    return this.call(
      route,
      'POST',
      '/v1/reservations',
      user.token,
      { eventId: this.eventId, categoryId, quantity },
      { 'Idempotency-Key': key },
    );
  }

  record(user: User, a: Answer): Hold {
    const hold: Hold = {
      id: a.body.id as string,
      user,
      categoryId: a.body.categoryId as string,
      quantity: a.body.quantity as number,
      heldAt: a.end,
      expiresAt: Date.parse(a.body.expiresAt as string),
      state: 'held',
    };
    this.holds.set(hold.id, hold);
    return hold;
  }

  private ended(hold: Hold, a: Answer) {
    if (a.status === 404) hold.state = 'not_found';
    else if (a.status === 410) hold.state = 'expired';
    else if (a.status >= 400 && a.status !== 503 && a.status !== 0) hold.state = 'refused';
  }

  async confirm(hold: Hold): Promise<boolean> {
    const a = await this.untilAnswered(() =>
      this.call(
        'confirm',
        'POST',
        `/v1/reservations/${hold.id}/confirm`,
        hold.user.token,
        {},
        { 'Idempotency-Key': `c-${hold.id}` },
      ),
    );
    if (a.status === 200 && a.body.status === 'confirmed') {
      hold.state = 'confirmed';
      if (!this.confirmed.has(hold.id)) this.confirmed.set(hold.id, a.end);
      return true;
    }
    this.ended(hold, a);
    return false;
  }

  async release(hold: Hold) {
    const a = await this.untilAnswered(() =>
      this.call('release', 'DELETE', `/v1/reservations/${hold.id}`, hold.user.token),
    );
    if (a.status === 200) hold.state = 'released';
    else this.ended(hold, a);
  }

  async cancel(hold: Hold) {
    this.cancelAttempted.add(hold.id);
    const a = await this.untilAnswered(() =>
      this.call('cancel', 'DELETE', `/v1/reservations/${hold.id}`, hold.user.token),
    );
    if (a.status === 200 && a.body.status === 'cancelled') {
      hold.state = 'cancelled';
      this.cancelled.add(hold.id);
    }
  }

  // -------------------------------------------------------------------- users

  /** One phone: paced reserve → pay / give back / walk away while the surge runs; in a
   * buy-out, reserve (what is left) and confirm at once until every category is sold out. */
  async user(user: User): Promise<void> {
    while (this.mode !== 'stop' && Date.now() < this.deadline) {
      if (this.mode === 'surge') await sleep(between(this.pace.thinkMs));
      if (this.stopped()) return;
      const open = this.categories.filter((c) => !this.soldOut.has(c.id));
      if (open.length === 0) {
        if (this.mode === 'buyout') return;
        await sleep(500);
        continue;
      }
      const category = pick(open);
      let quantity = 1 + Math.floor(Math.random() * 4);
      let a = await this.untilAnswered(() =>
        this.reserve(user, category.id, quantity, `r-${randomUUID()}`),
      );
      if (a.status === 409 && a.code === 'sold_out') {
        const left = Number(a.body.available ?? 0);
        if (left <= 0) {
          if (this.mode === 'buyout') this.soldOut.add(category.id);
          else await sleep(200);
          continue;
        }
        quantity = Math.min(quantity, left);
        a = await this.untilAnswered(() =>
          this.reserve(user, category.id, quantity, `r-${randomUUID()}`),
        );
      }
      if (a.status !== 201) {
        await sleep(200);
        continue;
      }
      const hold = this.record(user, a);
      if (this.mode === 'buyout') {
        await this.confirm(hold);
        continue;
      }
      await sleep(between(this.pace.payMs));
      const roll = Math.random();
      if (roll < this.pace.confirmShare) {
        if ((await this.confirm(hold)) && Math.random() < this.pace.cancelShare) {
          await sleep(between([100, 600]));
          await this.cancel(hold);
        }
      } else if (roll < this.pace.confirmShare + this.pace.releaseShare) {
        await this.release(hold);
      }
    }
  }

  /** Seats the api acknowledged as confirmed (and not acknowledged as cancelled since). */
  confirmedSeats(): number {
    let n = 0;
    for (const id of this.confirmed.keys())
      if (!this.cancelled.has(id)) n += this.holds.get(id)?.quantity ?? 0;
    return n;
  }
}
