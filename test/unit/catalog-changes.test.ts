// What kind of change an admin's event patch is for ticket holders (core/catalog/changes.ts).
import { describe, expect, it } from 'vitest';
import { CatalogChange, eventChangeType, HOLDER_NOTICES } from '../../core/catalog/changes.js';

const before = { startsAt: new Date('2026-12-01T20:00:00Z'), venue: 'Arena', status: 'on_sale' };

describe('eventChangeType', () => {
  it.each([
    [
      'a cancellation, whatever else changed',
      { status: 'cancelled', venue: 'Hall' },
      'event.cancelled',
    ],
    ['a new start time', { startsAt: new Date('2026-12-02T20:00:00Z') }, 'event.rescheduled'],
    ['a new start time and venue', { startsAt: new Date(0), venue: 'Hall' }, 'event.rescheduled'],
    ['a new venue', { venue: 'Hall' }, 'event.venue_changed'],
    ['a pause', { status: 'paused' }, 'event.updated'],
    ['the same start, another Date', { startsAt: new Date(before.startsAt) }, 'event.updated'],
  ])('%s is %s', (_, patch, type) => {
    expect(eventChangeType(before, { ...before, ...patch })).toBe(type);
  });

  it('an event already cancelled is not cancelled again', () => {
    const cancelled = { ...before, status: 'cancelled' };
    expect(eventChangeType(cancelled, { ...cancelled, venue: 'Hall' })).toBe('event.venue_changed');
  });

  it('holders are told of what changes their evening, not of every edit', () => {
    expect([...HOLDER_NOTICES].sort()).toEqual([
      'event.cancelled',
      'event.rescheduled',
      'event.venue_changed',
    ]);
  });
});

describe('the catalog.v1 message', () => {
  const change = {
    type: 'event.venue_changed',
    eventId: '0193a0b2-7c1e-7d3a-9f00-1c2d3e4f5a6b',
    at: '2026-12-01T10:00:00.000Z',
    changes: { venue: 'Hall' },
  };

  it('takes a change and drops what is not one of its fields', () => {
    expect(CatalogChange.parse({ ...change, secret: 'x' })).toEqual(change);
  });

  it.each([
    ['an unknown type', { type: 'event.renamed' }],
    ['an event id that is no UUID', { eventId: '42' }],
    ['a time with an offset', { at: '2026-12-01T10:00:00+01:00' }],
    ['changes that are no record', { changes: ['venue'] }],
  ])('refuses %s', (_, patch) => {
    expect(CatalogChange.safeParse({ ...change, ...patch }).success).toBe(false);
  });
});
