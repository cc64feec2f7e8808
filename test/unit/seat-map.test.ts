// The pure side of a seat map (SPEC §8): its checks, the layout the scripts work with, the
// documents the api serves, and a block change.
import { describe, expect, it } from 'vitest';
import {
  blockedAfter,
  rowStartsField,
  type SeatMapInput,
  seatCounts,
  seatLayout,
  seatMapDocument,
  seatMapProblem,
  seatStatusDocument,
} from '../../core/catalog/seat-map.js';

const MAP: SeatMapInput = {
  sections: [
    {
      name: 'Stalls',
      rows: [
        { name: 'A', seats: 3 },
        { name: 'B', seats: ['1', '2'] },
      ],
    },
    { name: 'Box', rows: [{ name: '1', seats: ['L', 'R'] }] },
  ],
};

describe('a seat map', () => {
  it('spells out ids <section>-<row>-<label> in map order, and where each row starts', () => {
    const layout = seatLayout(MAP);
    expect(layout.ids).toEqual([
      'Stalls-A-1',
      'Stalls-A-2',
      'Stalls-A-3',
      'Stalls-B-1',
      'Stalls-B-2',
      'Box-1-L',
      'Box-1-R',
    ]);
    expect(layout.rowStarts).toEqual([0, 3, 5, 7]);
    expect(rowStartsField(layout)).toBe('000000000003000005000007');
    expect(layout.positions.get('Box-1-R')).toBe(6);
  });

  it('is refused when empty, ambiguous, too big or named with a separator', () => {
    expect(seatMapProblem(MAP)).toBeUndefined();
    expect(seatMapProblem({ sections: [] })).toMatch(/at least one section/);
    expect(
      seatMapProblem({ sections: [{ name: 'S', rows: [{ name: 'A', seats: ['1', '1'] }] }] }),
    ).toMatch(/twice/);
    expect(
      seatMapProblem({ sections: [{ name: 'S-1', rows: [{ name: 'A', seats: 2 }] }] }),
    ).toMatch(/section name/);
    expect(seatMapProblem({ sections: [{ name: 'S', rows: [{ name: 'A', seats: 0 }] }] })).toMatch(
      /1 to/,
    );
    const huge = {
      sections: [
        { name: 'S', rows: Array.from({ length: 60 }, (_, i) => ({ name: `R${i}`, seats: 2000 })) },
      ],
    };
    expect(seatMapProblem(huge)).toMatch(/at most/);
  });

  it('serves the static map and a status document row by row', () => {
    const layout = seatLayout(MAP);
    const map = seatMapDocument(layout);
    expect(map.capacity).toBe(7);
    expect(map.sections[1]).toEqual({
      name: 'Box',
      rows: [
        {
          name: '1',
          seats: [
            { id: 'Box-1-L', label: 'L' },
            { id: 'Box-1-R', label: 'R' },
          ],
        },
      ],
    });
    expect(seatStatusDocument(layout, 4, 'ahsabab')).toEqual({
      version: 4,
      sections: [
        {
          name: 'Stalls',
          rows: [
            { name: 'A', status: 'ahs' },
            { name: 'B', status: 'ab' },
          ],
        },
        { name: 'Box', rows: [{ name: '1', status: 'ab' }] },
      ],
    });
    expect(seatCounts('ahsabab')).toEqual({ available: 3, held: 1, sold: 1, blocked: 2 });
  });

  it('takes a block change against the blocked set, naming unknown and doubled seats', () => {
    const layout = seatLayout(MAP);
    expect(
      blockedAfter(layout, ['Box-1-L'], { block: ['Stalls-A-1'], unblock: ['Box-1-L'] }),
    ).toEqual({ blocked: ['Stalls-A-1'], unknown: [], both: [] });
    expect(
      blockedAfter(layout, [], { block: ['Stalls-Z-9', 'Box-1-R'], unblock: ['Box-1-R'] }),
    ).toMatchObject({ unknown: ['Stalls-Z-9'], both: ['Box-1-R'] });
  });
});
