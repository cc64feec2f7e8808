// Drop access's pure parts (SPEC §9): the synchronous solution check held to ALTCHA's own
// verifySolution, presale codes' spelling and hashing, the settings as Redis and the view
// carry them, and the gate's choices (which step, which refusal first, no await when an
// event has no gate).
import { createHash } from 'node:crypto';
import { createChallenge, solveChallenge, verifySolution } from 'altcha-lib/v1';
import fc from 'fast-check';
import type { Context } from 'hono';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createDropAccess } from '../../api/drop-access.js';
import { ApiError } from '../../api/problem.js';
import { checkSolution, makeChallenge } from '../../core/access/challenges.js';
import {
  accessCodeHash,
  type CodeUse,
  newAccessCode,
  normalizeAccessCode,
} from '../../core/access/codes.js';
import { dropAccessOf } from '../../core/catalog/drop-access.js';
import { type EventView, eventViewOfReply } from '../../core/reservations/event-stock.js';

const KEY = 'a'.repeat(64);
const sha256Hex = (text: string) => createHash('sha256').update(text).digest('hex');
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64');

describe('checkSolution', () => {
  it('gives ALTCHA’s verifySolution verdict, for solutions and their alterations', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 300 }),
        // Whole seconds away from the expiry (the salt's is in seconds: no race at the edge).
        fc.oneof(fc.integer({ min: -600, max: -2 }), fc.integer({ min: 2, max: 600 })),
        fc.constantFrom('none', 'number', 'salt', 'signature', 'challenge', 'key', 'algorithm'),
        async (maxnumber, expiresIn, alteration) => {
          const expires = new Date(Date.now() + expiresIn * 1000);
          const made = await createChallenge({ hmacKey: KEY, maxnumber, expires });
          const solved = await solveChallenge(made.challenge, made.salt, 'SHA-256', maxnumber)
            .promise;
          const solution: Record<string, unknown> = {
            algorithm: made.algorithm,
            challenge: made.challenge,
            number: solved?.number,
            salt: made.salt,
            signature: made.signature,
          };
          let key = KEY;
          if (alteration === 'number') solution.number = (solution.number as number) + 1;
          if (alteration === 'salt') solution.salt = `${made.salt}x`;
          if (alteration === 'signature')
            solution.signature = `${made.signature.startsWith('0') ? '1' : '0'}${made.signature.slice(1)}`;
          solution.signature = made.signature.replace(
            /^./,
            'f0'.replace(made.signature[0] as string, ''),
          );
          if (alteration === 'challenge')
            solution.challenge = made.challenge.split('').reverse().join('');
          if (alteration === 'key') key = 'b'.repeat(64);
          if (alteration === 'algorithm') solution.algorithm = 'SHA-512';
          const payload = b64(solution);
          const ours = checkSolution(payload, key, Date.now()) !== null;
          expect(ours).toBe(await verifySolution(payload, key));
        },
      ),
      { numRuns: 150 },
    );
  });

  it('makes the library’s challenge for the same salt and number; the library verifies ours', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 100_000 }),
        fc.stringMatching(/^[0-9a-f]{24}$/),
        fc.integer({ min: 60, max: 3600 }),
        async (maxnumber, salt, inSeconds) => {
          const expires = new Date(Date.now() + inSeconds * 1000);
          const number = Math.max(1, Math.floor(maxnumber / 2));
          const ours = makeChallenge(KEY, maxnumber, expires, { salt, number });
          const library = await createChallenge({ hmacKey: KEY, maxnumber, expires, salt, number });
          expect(ours).toEqual(library);
          // Drawn afresh, as the library draws: in 1..maxnumber, and the library verifies it.
          const drawn = makeChallenge(KEY, maxnumber, expires);
          const seconds = Math.floor(expires.getTime() / 1000);
          expect(drawn.salt).toMatch(new RegExp(`^[0-9a-f]{24}\\?expires=${seconds}&$`));
          let found = 0;
          while (sha256Hex(`${drawn.salt}${found}`) !== drawn.challenge) found += 1;
          expect(found).toBeGreaterThanOrEqual(1);
          expect(found).toBeLessThanOrEqual(maxnumber);
          expect(await verifySolution(b64({ ...drawn, number: found }), KEY)).toBe(true);
        },
      ),
      { numRuns: 20 },
    );
  });

  it('refuses what the library accepts only loosely: no expiry, a number as text, junk', async () => {
    const made = await createChallenge({ hmacKey: KEY, maxnumber: 10, number: 7 });
    const solution = { ...made, number: 7 };
    expect(await verifySolution(b64(solution), KEY)).toBe(true);
    // Ours always carry an expiry: one without was not made here.
    expect(checkSolution(b64(solution), KEY, Date.now())).toBeNull();
    const expiring = await createChallenge({
      hmacKey: KEY,
      maxnumber: 10,
      number: 7,
      expires: new Date(Date.now() + 60_000),
    });
    expect(checkSolution(b64({ ...expiring, number: 7 }), KEY, Date.now())).toMatchObject({
      challenge: expiring.challenge,
    });
    expect(checkSolution(b64({ ...expiring, number: '7' }), KEY, Date.now())).toBeNull();
    for (const junk of ['', 'x', b64(null), b64([]), 'A'.repeat(2000)])
      expect(checkSolution(junk, KEY, Date.now())).toBeNull();
  });
});

describe('presale codes', () => {
  it('are 20 characters of Crockford base32, distinct, read back however typed', () => {
    const codes = Array.from({ length: 10_000 }, newAccessCode);
    expect(new Set(codes).size).toBe(codes.length);
    for (const code of codes.slice(0, 100)) {
      expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{5}(-[0-9A-HJKMNP-TV-Z]{5}){3}$/);
      const plain = code.replaceAll('-', '');
      expect(normalizeAccessCode(code)).toBe(plain);
      expect(normalizeAccessCode(` ${code.toLowerCase()} `)).toBe(plain);
      expect(normalizeAccessCode(plain.replaceAll('1', 'l').replaceAll('0', 'o'))).toBe(plain);
    }
    for (const bad of [
      '',
      'ABC',
      'U'.repeat(20),
      'A'.repeat(21),
      `${'A'.repeat(19)}!`,
      'A'.repeat(65),
    ])
      expect(normalizeAccessCode(bad)).toBeNull();
  });

  it('are hashed with their event: the same code is another hash elsewhere', () => {
    const code = 'ABCDEFGHJKMNPQRSTVWX';
    const hash = accessCodeHash('e1', code);
    expect(hash.toString('hex')).toBe(createHash('sha256').update(`e1\n${code}`).digest('hex'));
    expect(hash.equals(accessCodeHash('e2', code))).toBe(false);
  });
});

describe('the settings on the hot path', () => {
  it('are 0 for a gate that is off, a presale’s end in ms, a challenge’s maxnumber', () => {
    const endsAt = new Date('2030-01-01T00:00:00Z');
    const row = {
      presaleEnabled: true,
      presaleEndsAt: endsAt,
      botChallengeEnabled: true,
      botChallengeDifficulty: 5000,
    };
    expect(dropAccessOf(row)).toEqual({
      presaleEndsAt: endsAt.getTime(),
      challengeMaxNumber: 5000,
    });
    expect(dropAccessOf({ ...row, presaleEnabled: false, botChallengeEnabled: false })).toEqual({
      presaleEndsAt: 0,
      challengeMaxNumber: 0,
    });
  });

  it('are read from the view script’s reply, before the categories', () => {
    const head = ['on_sale', '600', '10', '', '1', '1', '50', '3', '', '', '7', '1000'];
    const view = eventViewOfReply([
      ...head,
      '1893456000000',
      '5000',
      ...['c1', 'GA', '10', '1', '2', '0', ''],
      ...['c2', 'Stalls', '300', '4', '0', '', '17'],
    ]);
    expect(view?.access).toEqual({ presaleEndsAt: 1893456000000, challengeMaxNumber: 5000 });
    expect(view?.categories).toEqual([
      { id: 'c1', name: 'GA', capacity: 10, held: 1, confirmed: 2, available: 7, perUserLimit: 0 },
      {
        id: 'c2',
        name: 'Stalls',
        capacity: 300,
        held: 4,
        confirmed: 0,
        available: 296,
        perUserLimit: 0,
        seatsVersion: 17,
      },
    ]);
  });
});

describe('the gate', () => {
  const viewOf = (access: EventView['access'], room = false): EventView => ({
    state: { status: 'on_sale', holdTtlSeconds: 600, perUserLimit: 10 },
    fenced: false,
    categories: [],
    queue: {
      enabled: room,
      opened: true,
      admitPerSecond: 10,
      admittedTotal: 0,
      firstAdmitAt: null,
      soldOut: false,
      waiting: 0,
    },
    at: 0,
    access,
  });
  const request = (headers: Record<string, string>) =>
    ({ req: { header: (name: string) => headers[name] } }) as unknown as Context;

  function gateWith(
    view: EventView | null | undefined,
    answers: { code?: CodeUse; pow?: boolean } = {},
  ) {
    const calls: string[] = [];
    const gate = createDropAccess({
      views: {
        settled: () => view,
        current: async () => {
          calls.push('read');
          return view ?? null;
        },
      },
      codes: {
        use: async () => {
          calls.push('code');
          return answers.code ?? 'ok';
        },
      },
      challenges: {
        use: async () => {
          calls.push('pow');
          return answers.pow ?? true;
        },
      },
      registry: new Registry(),
    });
    return { gate, calls };
  }
  const reason = (promise: Promise<void> | undefined) =>
    promise?.then(
      () => 'passed',
      (err: unknown) => (err instanceof ApiError ? err.code : String(err)),
    );
  const later = Date.now() + 3_600_000;

  it('is nothing to await for an event with neither gate, an ended presale or an unknown event', () => {
    for (const view of [
      viewOf({ presaleEndsAt: 0, challengeMaxNumber: 0 }),
      viewOf({ presaleEndsAt: 0, challengeMaxNumber: 0 }, true),
      viewOf(undefined),
      null,
    ]) {
      const { gate, calls } = gateWith(view);
      expect(gate.gate('reserve', 'e', 'u', request({}))).toBeUndefined();
      expect(gate.gate('join', 'e', 'u', request({}))).toBeUndefined();
      expect(calls).toEqual([]);
    }
    const ended = gateWith(viewOf({ presaleEndsAt: Date.now() - 1, challengeMaxNumber: 0 }));
    return expect(reason(ended.gate.gate('reserve', 'e', 'u', request({})))).resolves.toBe(
      'passed',
    );
  });

  it('stands before the join with a waiting room, before the reserve without one', async () => {
    const both = { presaleEndsAt: later, challengeMaxNumber: 1000 };
    const room = gateWith(viewOf(both, true)).gate;
    expect(room.gate('reserve', 'e', 'u', request({}))).toBeUndefined();
    expect(await reason(room.gate('join', 'e', 'u', request({})))).toBe('challenge_required');
    const plain = gateWith(viewOf(both)).gate;
    expect(plain.gate('join', 'e', 'u', request({}))).toBeUndefined();
    expect(await reason(plain.gate('reserve', 'e', 'u', request({})))).toBe('challenge_required');
  });

  it('refuses the cheapest way first and spends the solution before binding the code', async () => {
    const both = viewOf({ presaleEndsAt: later, challengeMaxNumber: 1000 });
    const solved = { 'challenge-solution': 's' };
    const coded = { 'access-code': 'c' };
    const cases: [Record<string, string>, { code?: CodeUse; pow?: boolean }, string, string[]][] = [
      [{}, {}, 'challenge_required', []],
      [coded, {}, 'challenge_required', []],
      [solved, {}, 'access_code_required', []],
      [{ ...solved, ...coded }, { pow: false }, 'challenge_invalid', ['pow']],
      [{ ...solved, ...coded }, { code: 'invalid' }, 'access_code_invalid', ['pow', 'code']],
      [{ ...solved, ...coded }, { code: 'used' }, 'access_code_used', ['pow', 'code']],
      [{ ...solved, ...coded }, {}, 'passed', ['pow', 'code']],
    ];
    for (const [headers, answers, expected, steps] of cases) {
      const { gate, calls } = gateWith(both, answers);
      expect(await reason(gate.gate('reserve', 'e', 'u', request(headers)))).toBe(expected);
      expect(calls).toEqual(steps);
    }
  });

  it('waits for a read when the view’s settings are not current', async () => {
    const { gate, calls } = gateWith(undefined);
    expect(await reason(gate.gate('reserve', 'e', 'u', request({})))).toBe('passed');
    expect(calls).toEqual(['read']);
  });
});
