// A seated category's map (SPEC §8): sections of rows of seats, in the order the admin gave
// them (the first row is the front; seats in a row are adjacent in the order given). The
// map is the catalog's (Postgres, a jsonb column); Redis keeps one status byte per seat in
// the map's seat order, so a seat's place in that order — its position — is what the
// scripts work with. Everything here is pure: the layout is the same wherever it is built.

import type { SeatMapInput } from '../../drizzle/schema/index.js';

export type { SeatMapInput };

/** A name or a label: a seat id joins them with '-', so none may hold one. */
export const SEAT_NAME = /^[A-Za-z0-9_.]{1,24}$/;
/** A seat id: `<section>-<row>-<label>`. */
export const SEAT_ID = /^[A-Za-z0-9_.]{1,24}-[A-Za-z0-9_.]{1,24}-[A-Za-z0-9_.]{1,24}$/;
/** The most seats a map may have (a stadium's tier; the bench's 60,000 fits). */
export const MAX_SEATS = 100_000;
/** The most seats in one row. */
export const MAX_ROW_SEATS = 2_000;

/** The seat statuses as Redis keeps them, one byte per seat. */
export const SEAT_STATUS = { available: 'a', held: 'h', sold: 's', blocked: 'b' } as const;

export interface SeatLayout {
  /** the map with every row's labels spelled out */
  sections: { name: string; rows: { name: string; labels: string[] }[] }[];
  /** every seat's id, in seat order (index = position) */
  ids: string[];
  /** where each row starts, in seat order, and one more: the number of seats */
  rowStarts: number[];
  /** position of each seat id */
  positions: Map<string, number>;
}

export const seatIdOf = (section: string, row: string, label: string) =>
  `${section}-${row}-${label}`;

const labelsOf = (seats: number | string[]) =>
  typeof seats === 'number' ? Array.from({ length: seats }, (_, i) => String(i + 1)) : seats;

/** The layout of a map; throws a SeatMapError naming the first thing wrong with it. */
export function seatLayout(map: SeatMapInput): SeatLayout {
  const ids: string[] = [];
  const rowStarts: number[] = [];
  const positions = new Map<string, number>();
  const sections = map.sections.map((section) => ({
    name: section.name,
    rows: section.rows.map((row) => {
      const labels = labelsOf(row.seats);
      rowStarts.push(ids.length);
      for (const label of labels) {
        const id = seatIdOf(section.name, row.name, label);
        if (positions.has(id)) throw new SeatMapError(`seat ${id} is in the map twice`);
        positions.set(id, ids.length);
        ids.push(id);
      }
      return { name: row.name, labels };
    }),
  }));
  rowStarts.push(ids.length);
  return { sections, ids, rowStarts, positions };
}

export class SeatMapError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SeatMapError';
  }
}

/** Whether the map's names and sizes are ones the engine takes; the reason when not. */
export function seatMapProblem(map: SeatMapInput): string | undefined {
  if (map.sections.length === 0) return 'a seat map needs at least one section';
  let total = 0;
  for (const section of map.sections) {
    if (!SEAT_NAME.test(section.name)) return `section name ${JSON.stringify(section.name)}`;
    if (section.rows.length === 0) return `section ${section.name} has no rows`;
    for (const row of section.rows) {
      if (!SEAT_NAME.test(row.name)) return `row name in section ${section.name}`;
      const labels = labelsOf(row.seats);
      if (labels.length === 0 || labels.length > MAX_ROW_SEATS)
        return `row ${section.name}-${row.name} must have 1 to ${MAX_ROW_SEATS} seats`;
      if (labels.some((l) => !SEAT_NAME.test(l)))
        return `a seat label in row ${section.name}-${row.name}`;
      total += labels.length;
      if (total > MAX_SEATS) return `a seat map has at most ${MAX_SEATS} seats`;
    }
  }
  try {
    seatLayout(map);
  } catch (err) {
    if (err instanceof SeatMapError) return err.message;
    throw err;
  }
  return undefined;
}

/**
 * The row starts as the scripts read them: six digits each, so a script finds row r's
 * start with one string.sub and the row of a seat by halving (no parsing per call).
 */
export const rowStartsField = (layout: SeatLayout) =>
  layout.rowStarts.map((start) => String(start).padStart(6, '0')).join('');

/** The static map (GET …/seat-map): every seat with its id and label. */
export function seatMapDocument(layout: SeatLayout) {
  return {
    capacity: layout.ids.length,
    sections: layout.sections.map((section) => ({
      name: section.name,
      rows: section.rows.map((row) => ({
        name: row.name,
        seats: row.labels.map((label) => ({
          id: seatIdOf(section.name, row.name, label),
          label,
        })),
      })),
    })),
  };
}

/** The live status document (GET …/seats): one character per seat, row by row. */
export function seatStatusDocument(layout: SeatLayout, version: number, state: string) {
  let row = 0;
  return {
    version,
    sections: layout.sections.map((section) => ({
      name: section.name,
      rows: section.rows.map((r) => {
        const start = layout.rowStarts[row] as number;
        row += 1;
        return { name: r.name, status: state.slice(start, start + r.labels.length) };
      }),
    })),
  };
}

/** Seat counts by status, from the state string: held + sold + blocked + available = all. */
export function seatCounts(state: string) {
  const counts = { available: 0, held: 0, sold: 0, blocked: 0 };
  for (const c of state) {
    if (c === 'a') counts.available += 1;
    else if (c === 'h') counts.held += 1;
    else if (c === 's') counts.sold += 1;
    else if (c === 'b') counts.blocked += 1;
  }
  return counts;
}

// Layouts are built from a category's map once per process: a seated reserve, the status
// document and the rebuild read the same few maps over and over. A category's map never
// changes once created (SPEC §8 has no edit of it), so its id names its layout.
const layouts = new Map<string, SeatLayout>();

/** The layout of a category's map, built once per process. */
export function layoutOf(categoryId: string, map: SeatMapInput): SeatLayout {
  let layout = layouts.get(categoryId);
  if (layout === undefined) {
    if (layouts.size >= 1_000) layouts.clear();
    layout = seatLayout(map);
    layouts.set(categoryId, layout);
  }
  return layout;
}

/**
 * An admin's block/unblock of seats against a category's blocked set: the set afterwards,
 * or the ids the layout does not have (nothing changes then). A seat named in both lists
 * is an error of the caller's: `both`.
 */
export function blockedAfter(
  layout: SeatLayout,
  blocked: readonly string[],
  change: { block: readonly string[]; unblock: readonly string[] },
): { blocked: string[]; unknown: string[]; both: string[] } {
  const unknown = [...change.block, ...change.unblock].filter((id) => !layout.positions.has(id));
  const unblock = new Set(change.unblock);
  const both = change.block.filter((id) => unblock.has(id));
  const after = new Set(blocked);
  for (const id of change.block) after.add(id);
  for (const id of change.unblock) after.delete(id);
  return { blocked: [...after], unknown, both };
}
