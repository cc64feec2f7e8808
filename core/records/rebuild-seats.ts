// The seats of a rebuild (SPEC §8 after a Redis data loss): which merged holds of a seated
// category still fit — no seat in two standing holds — and the seat state they make. A
// sale is taken before any live hold, as the counts are (rebuild.ts), so a lost release
// that let a seat be sold again ends the younger hold, never the sale.
import type { CategoryRow } from '../catalog/events.js';
import { layoutOf, type SeatLayout } from '../catalog/seat-map.js';
import type { Hold } from '../reservations/hold.js';
import { positionsOf } from '../reservations/seating.js';

export function seatClaims(categories: CategoryRow[]) {
  const layouts = new Map<string, SeatLayout>();
  for (const c of categories) if (c.seatMap) layouts.set(c.id, layoutOf(c.id, c.seatMap));
  const taken = new Map<string, Set<string>>();
  const held = new Map<string, string[]>();
  const sold = new Map<string, string[]>();

  return {
    /** Whether none of the hold's seats is in a hold taken before (true when unseated). */
    fits(hold: Hold): boolean {
      const seats = taken.get(hold.categoryId);
      return !hold.seats || !seats || hold.seats.every((id) => !seats.has(id));
    },
    /** The hold stands: its seats are its own. */
    take(hold: Hold) {
      if (!hold.seats || !layouts.has(hold.categoryId)) return;
      const seats = taken.get(hold.categoryId) ?? new Set();
      taken.set(hold.categoryId, seats);
      for (const id of hold.seats) seats.add(id);
      const into = hold.status === 'confirmed' ? sold : held;
      into.set(hold.categoryId, [...(into.get(hold.categoryId) ?? []), ...hold.seats]);
    },
    /** Where the hold's seats are in its category's seat string ('' when unseated). */
    positions(hold: Hold): string {
      const layout = layouts.get(hold.categoryId);
      return layout && hold.seats ? positionsOf(layout, hold.seats) : '';
    },
    /** Per seated category, the positions of the standing holds' seats, held and sold. */
    states() {
      return [...layouts].map(([categoryId, layout]) => ({
        categoryId,
        held: positionsOf(layout, held.get(categoryId) ?? []),
        sold: positionsOf(layout, sold.get(categoryId) ?? []),
      }));
    },
  };
}
