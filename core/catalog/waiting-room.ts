// An event's waiting room settings (SPEC §7) as the admin gives them and the catalog keeps
// them (three columns of `events`).
import type { EventRow } from './events.js';

export interface WaitingRoom {
  enabled: boolean;
  /** users admitted from the head of the queue per second; null only while disabled */
  admitPerSecond: number | null;
  /** how long a queue pass stays valid */
  passTtlSeconds: number;
}

export const DEFAULT_PASS_TTL_SECONDS = 600;

export const NO_WAITING_ROOM: WaitingRoom = {
  enabled: false,
  admitPerSecond: null,
  passTtlSeconds: DEFAULT_PASS_TTL_SECONDS,
};

type WaitingRoomColumns = Pick<
  EventRow,
  'waitingRoomEnabled' | 'waitingRoomAdmitPerSecond' | 'waitingRoomPassTtlSeconds'
>;

export function waitingRoomOf(row: WaitingRoomColumns): WaitingRoom {
  return {
    enabled: row.waitingRoomEnabled,
    admitPerSecond: row.waitingRoomAdmitPerSecond,
    passTtlSeconds: row.waitingRoomPassTtlSeconds,
  };
}

/** The columns for settings given on create or patch (missing ones take the defaults). */
export function waitingRoomColumns(room: {
  enabled: boolean;
  admitPerSecond?: number | null;
  passTtlSeconds?: number;
}): WaitingRoomColumns {
  return {
    waitingRoomEnabled: room.enabled,
    waitingRoomAdmitPerSecond: room.admitPerSecond ?? null,
    waitingRoomPassTtlSeconds: room.passTtlSeconds ?? DEFAULT_PASS_TTL_SECONDS,
  };
}
