// Admin: accounts. Disabling one stops its sign-in and refresh (Postgres) and voids the
// access tokens it holds on every api instance within a second (revocations.ts).
import { createRoute, z } from '@hono/zod-openapi';
import { recordAudit } from '../../core/audit.js';
import type { Revocations } from '../../core/auth/revocations.js';
import { disableUser } from '../../core/auth/users.js';
import type { Db } from '../../platform/db/client.js';
import { principalOf, requireRole } from '../auth/guards.js';
import { ADMIN_ONLY, ApiError, PARAMETERS, refusalResponses } from '../problem.js';
import { jsonResponse } from '../responses.js';
import { createRouter } from '../router.js';
import { Id, json } from '../schemas.js';

const DisabledUserSchema = z
  .object({
    id: z.uuid(),
    email: z.string(),
    role: z.enum(['user', 'admin']),
    disabled: z.literal(true),
  })
  .openapi('DisabledUser');

const disable = createRoute({
  method: 'post',
  path: '/v1/admin/users/{id}/disable',
  tags: ['admin'],
  summary: 'Disable an account: no sign-in, no refresh, its access tokens void within 1 s',
  security: [{ bearerAuth: [] }],
  middleware: [requireRole('admin')],
  request: { params: z.object({ id: Id('id') }) },
  responses: {
    200: { description: 'Disabled (again: disabling is idempotent)', ...json(DisabledUserSchema) },
    ...refusalResponses({
      ...PARAMETERS,
      ...ADMIN_ONLY,
      not_found: 'No such account',
      invalid_state: 'An admin cannot disable their own account',
    }),
  },
});

export function adminUserRoutes(deps: { db: Db; revocations: Pick<Revocations, 'revokeUser'> }) {
  const { db, revocations } = deps;
  const app = createRouter();

  app.openapi(disable, async (c) => {
    const { id } = c.req.valid('param');
    const actorId = principalOf(c).userId;
    if (id === actorId) {
      throw new ApiError('invalid_state', 'An admin cannot disable their own account');
    }
    const user = await db.transaction(async (tx) => {
      const row = await disableUser(tx, id);
      if (!row) throw new ApiError('not_found', 'No such account');
      await recordAudit(tx, {
        actorId,
        action: 'user.disabled',
        targetType: 'user',
        targetId: id,
        ip: c.get('clientIp'),
        requestId: c.get('requestId'),
      });
      return row;
    });
    // After the commit (sign-in and refresh are refused from now on): the access tokens.
    // Should Redis fail here, the request fails and disabling again finishes the job.
    await revocations.revokeUser(id);
    return jsonResponse(
      { object: { id: user.id, email: user.email, role: user.role, disabled: true as const } },
      200,
    );
  });

  return app;
}
