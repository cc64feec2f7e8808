// Drop access (SPEC §9): an admin issues an event's presale codes and reads their counts;
// anyone fetches a proof-of-work challenge for an event whose bot challenge is on. The
// gates themselves stand in front of the join and the reserve (api/drop-access.ts).
import { createRoute, z } from '@hono/zod-openapi';
import type { Challenges } from '../../core/access/challenges.js';
import {
  accessCodeCounts,
  issueAccessCodes,
  MAX_CODES_PER_ISSUE,
} from '../../core/access/codes.js';
import type { Db } from '../../platform/db/client.js';
import { principalOf } from '../auth/guards.js';
import type { EventViews } from '../event-views.js';
import { ADMIN_ONLY, ApiError, JSON_BODY, PARAMETERS, refusalResponses } from '../problem.js';
import { jsonResponse } from '../responses.js';
import { createRouter } from '../router.js';
import { EventParams, json } from '../schemas.js';
import { admin } from './admin-events.js';

const IssueBody = z
  .object({ count: z.number().int().min(1).max(MAX_CODES_PER_ISSUE) })
  .openapi('IssueAccessCodes');
const IssuedCodes = z
  .object({
    codes: z.array(z.string()).openapi({
      description: 'Shown this once: the engine keeps only their hashes',
    }),
  })
  .openapi('AccessCodes');
const CodeCounts = z
  .object({ issued: z.number().int(), used: z.number().int() })
  .openapi('AccessCodeCounts');
const ChallengeSchema = z
  .object({
    algorithm: z.literal('SHA-256'),
    challenge: z.string().openapi({ description: 'hex SHA-256 of salt followed by the number' }),
    maxnumber: z.number().int(),
    salt: z.string().openapi({ description: 'carries ?expires=<unix seconds>&' }),
    signature: z.string(),
  })
  .openapi('Challenge', {
    description:
      'ALTCHA’s v1 challenge: find the number, then send Base64 of JSON {algorithm, challenge, number, salt, signature} as Challenge-Solution (good once, within 5 minutes)',
  });

const issueCodes = createRoute({
  ...admin,
  method: 'post',
  path: '/v1/admin/events/{eventId}/access-codes',
  summary: 'Issue presale access codes (shown once)',
  request: { params: EventParams, body: { required: true, ...json(IssueBody) } },
  responses: {
    201: { description: 'Issued', ...json(IssuedCodes) },
    ...refusalResponses({ ...JSON_BODY, ...ADMIN_ONLY, not_found: 'No such event' }),
  },
});

const countCodes = createRoute({
  ...admin,
  method: 'get',
  path: '/v1/admin/events/{eventId}/access-codes',
  summary: 'How many presale codes were issued, and how many are bound to an account',
  request: { params: EventParams },
  responses: {
    200: { description: 'The counts', ...json(CodeCounts) },
    ...refusalResponses({ ...PARAMETERS, ...ADMIN_ONLY, not_found: 'No such event' }),
  },
});

const challenge = createRoute({
  method: 'get',
  path: '/v1/events/{eventId}/challenge',
  tags: ['events'],
  summary: 'A proof-of-work challenge for joining (or reserving) when the bot challenge is on',
  request: { params: EventParams },
  responses: {
    200: { description: 'A new challenge', ...json(ChallengeSchema) },
    ...refusalResponses({
      ...PARAMETERS,
      not_found: 'No such event, or its bot challenge is off',
    }),
  },
});

export function dropAccessRoutes(deps: {
  db: Db;
  challenges: Pick<Challenges, 'create'>;
  views: Pick<EventViews, 'settled' | 'current'>;
}) {
  const app = createRouter();
  const unknown = () => new ApiError('not_found', 'No such event');

  app.openapi(issueCodes, async (c) => {
    const { eventId } = c.req.valid('param');
    const codes = await issueAccessCodes(deps.db, eventId, c.req.valid('json').count, {
      actorId: principalOf(c).userId,
      requestId: c.get('requestId'),
    });
    if (!codes) throw unknown();
    return jsonResponse({ object: { codes } }, 201, { 'Cache-Control': 'no-store' });
  });

  app.openapi(countCodes, async (c) => {
    const counts = await accessCodeCounts(deps.db, c.req.valid('param').eventId);
    if (!counts) throw unknown();
    return jsonResponse({ object: counts }, 200);
  });

  app.openapi(challenge, async (c) => {
    const { eventId } = c.req.valid('param');
    const view =
      deps.views.settled(eventId) ?? (await deps.views.current(eventId, { clean: 'settings' }));
    if (!view) throw unknown();
    const maxnumber = view.access?.challengeMaxNumber ?? 0;
    if (maxnumber === 0) throw new ApiError('not_found', 'This event has no bot challenge');
    const made = deps.challenges.create(eventId, maxnumber);
    return jsonResponse({ object: made }, 200, { 'Cache-Control': 'no-store' });
  });

  return app;
}
