// A waiting room's settings as the catalog keeps them (core/queue/waiting-room.ts).
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_PASS_TTL_SECONDS,
  NO_WAITING_ROOM,
  waitingRoomColumns,
  waitingRoomOf,
} from '../../core/catalog/waiting-room.js';

describe('waiting room settings', () => {
  it('missing settings take the defaults, and read back as given', () => {
    const columns = waitingRoomColumns({ enabled: true, admitPerSecond: 50 });
    expect(columns).toEqual({
      waitingRoomEnabled: true,
      waitingRoomAdmitPerSecond: 50,
      waitingRoomPassTtlSeconds: DEFAULT_PASS_TTL_SECONDS,
    });
    expect(waitingRoomOf(columns)).toEqual({
      enabled: true,
      admitPerSecond: 50,
      passTtlSeconds: 600,
    });
  });

  it('none is a disabled room without a rate', () => {
    expect(waitingRoomOf(waitingRoomColumns({ enabled: false }))).toEqual(NO_WAITING_ROOM);
    expect(waitingRoomColumns({ enabled: false, passTtlSeconds: 60 })).toMatchObject({
      waitingRoomAdmitPerSecond: null,
      waitingRoomPassTtlSeconds: 60,
    });
  });
});
