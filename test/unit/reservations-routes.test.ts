// The reserve route's body (api/routes/reservations.ts) is read by a hand-written acceptor
// before zod (api/hand-validated.ts): the two must never disagree on what a body is.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { acceptReserveBody, ReserveBody } from '../../api/routes/reservations.js';
import { type Field, itAgreesWithItsSchema, nearInt, nearUuid, uuid } from './arbitraries.js';

const shape: Record<string, Field> = {
  eventId: { valid: uuid, near: nearUuid },
  categoryId: { valid: uuid, near: nearUuid },
  quantity: { valid: fc.integer({ min: 1, max: 10 }), near: nearInt(1, 10) },
};

describe('acceptReserveBody against ReserveBody', () => {
  itAgreesWithItsSchema(acceptReserveBody, ReserveBody, shape);

  it.each([
    ['the smallest quantity', 1, true],
    ['the largest quantity', 10, true],
    ['one past the largest', 11, false],
    ['none', 0, false],
    ['minus zero', -0, false],
    ['a fraction', 1.5, false],
    ['a number as text', '2', false],
  ])('%s (%s)', (_, quantity, accepted) => {
    const body = {
      eventId: '0193a0b2-7c1e-7d3a-9f00-1c2d3e4f5a6b',
      categoryId: '0193a0b2-7c1e-7d3a-9f00-1c2d3e4f5a6c',
      quantity,
    };
    expect(acceptReserveBody(body) !== undefined).toBe(accepted);
    expect(ReserveBody.safeParse(body).success).toBe(accepted);
  });
});
