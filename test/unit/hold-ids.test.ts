import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  eventOfHoldId,
  HOLD_ID_LENGTH,
  HOLD_ID_PATTERN,
  newHoldId,
} from '../../core/reservations/hold-ids.js';
import { urlSafe, uuid } from './arbitraries.js';

describe('hold ids', () => {
  it('carry their event and are opaque, URL-safe and at most 64 characters', () => {
    const eventId = randomUUID();
    const ids = Array.from({ length: 1000 }, () => newHoldId(eventId));
    expect(new Set(ids).size).toBe(1000);
    for (const id of ids) {
      expect(id).toMatch(HOLD_ID_PATTERN);
      expect(id.length).toBe(HOLD_ID_LENGTH);
      expect(id.length).toBeLessThanOrEqual(64);
      expect(eventOfHoldId(id)).toBe(eventId);
    }
  });

  it('refuse what is not one: another length, other characters, a non-canonical event part', () => {
    const id = newHoldId(randomUUID());
    expect(eventOfHoldId(randomUUID())).toBeNull();
    expect(eventOfHoldId(`${id}x`)).toBeNull();
    expect(eventOfHoldId(`${id.slice(0, -1)}+`)).toBeNull();
    // The 22nd character carries 2 bits of the event and 4 unused ones: setting an unused
    // one spells the same bytes another way, which is refused (one event, one spelling).
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = alphabet.indexOf(id[21] as string);
    const alias = `${id.slice(0, 21)}${alphabet[last | 1]}${id.slice(22)}`;
    expect(eventOfHoldId(alias)).toBeNull();
  });
});

describe('hold ids, property-tested', () => {
  it('any UUID comes back from its hold ids, in lower case', () => {
    fc.assert(
      fc.property(uuid, (eventId) => {
        const id = newHoldId(eventId);
        expect(id).toMatch(HOLD_ID_PATTERN);
        expect(eventOfHoldId(id)).toBe(eventId.toLowerCase());
      }),
    );
  });

  it('a string read as a hold id has one spelling: the one its event’s ids start with', () => {
    fc.assert(
      fc.property(
        fc.oneof(urlSafe(HOLD_ID_LENGTH, HOLD_ID_LENGTH), urlSafe(HOLD_ID_LENGTH + 2)),
        (s) => {
          const eventId = eventOfHoldId(s);
          if (eventId === null) return;
          expect(s).toHaveLength(HOLD_ID_LENGTH);
          expect(newHoldId(eventId).slice(0, 22)).toBe(s.slice(0, 22));
        },
      ),
    );
  });
});
