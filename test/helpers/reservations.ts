// The reservation API's calls and answers, for the tests of it through the app (on the
// file's app, see useTestApp).
import { expect } from 'vitest';
import { ctx } from './app.js';
import { body, send } from './drop.js';

export const reserve = (token: string, b: unknown, headers = {}) =>
  send(ctx.app, 'POST', '/v1/reservations', token, b, headers);
export const available = async (eventId: string) => {
  const res = await send(ctx.app, 'GET', `/v1/events/${eventId}/availability`);
  return ((await body(res)).categories as { available: number }[])[0]?.available;
};
export async function expectProblem(res: Response, status: number, code: string) {
  const b = await body(res);
  expect({ status: res.status, code: b.code }).toEqual({ status, code });
  return b;
}
