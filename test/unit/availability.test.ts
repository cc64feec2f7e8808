// Availability from the event's view (api/availability.ts): tagged by what can change.
import { describe, expect, it } from 'vitest';
import { availabilityAnswer, availabilityOf } from '../../api/availability.js';

type View = Parameters<typeof availabilityOf>[1];
const E = '0193a0b2-7c1e-7d3a-9f00-1c2d3e4f5a6b';

const view = (available: number, at = 1_800_000_000_000, status = 'on_sale'): View => ({
  state: { status, holdTtlSeconds: 600, perUserLimit: 10 },
  fenced: false,
  categories: [
    {
      id: 'c1',
      name: 'GA',
      capacity: 10,
      held: 1,
      confirmed: 9 - available,
      available,
      perUserLimit: 0,
    },
  ],
  queue: {
    enabled: false,
    opened: false,
    admitPerSecond: 0,
    admittedTotal: 0,
    firstAdmitAt: null,
    soldOut: false,
    waiting: 0,
  },
  at,
});

describe('availability', () => {
  it('shows each category’s stock as of the view, without the counts behind it', () => {
    const snapshot = availabilityOf(E, view(3));
    expect(JSON.parse(snapshot.body)).toEqual({
      eventId: E,
      status: 'on_sale',
      categories: [{ id: 'c1', name: 'GA', capacity: 10, available: 3 }],
      asOf: '2027-01-15T08:00:00.000Z',
    });
  });

  it('keeps its ETag while only the time moves, and changes it with stock or status', () => {
    const etag = availabilityOf(E, view(3)).etag;
    expect(etag).toMatch(/^"[\w-]+"$/);
    expect(availabilityOf(E, view(3, 1_800_000_001_000)).etag).toBe(etag);
    expect(availabilityOf(E, view(2)).etag).not.toBe(etag);
    expect(availabilityOf(E, view(3, 0, 'paused')).etag).not.toBe(etag);
  });

  it('is made once per view read', () => {
    const v = view(1);
    expect(availabilityOf(E, v)).toBe(availabilityOf(E, v));
  });

  it('answers 304 without a body to the tag the client has, else 200 with it', () => {
    const snapshot = availabilityOf(E, view(3));
    const headers = { ETag: snapshot.etag, 'Cache-Control': 'no-cache' };
    expect(availabilityAnswer(snapshot, `W/${snapshot.etag}`)).toEqual({ status: 304, headers });
    expect(availabilityAnswer(snapshot, '"stale"')).toEqual({
      status: 200,
      headers,
      body: snapshot.body,
    });
  });
});
