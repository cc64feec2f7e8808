// Accounts and sessions: register, login, refresh (rotating), logout, and /v1/me.
// Every access token names its session (the refresh-token family): revoking the family
// (reuse of a rotated token, logout) voids its access tokens too, within a second on every
// api instance (core/auth/revocations.ts).
import { randomUUID } from 'node:crypto';
import { createRoute, z } from '@hono/zod-openapi';
import { recordAudit } from '../../core/audit.js';
import type { AccessTokens } from '../../core/auth/access-tokens.js';
import { normaliseEmail, type Passwords } from '../../core/auth/passwords.js';
import type { RefreshTokens } from '../../core/auth/refresh-tokens.js';
import type { Revocations } from '../../core/auth/revocations.js';
import { createUser, findUserByEmail, findUserById } from '../../core/auth/users.js';
import type { Db } from '../../platform/db/client.js';
import type { Logger } from '../../platform/logger.js';
import { principalOf, requireUser } from '../auth/guards.js';
import { logOf } from '../middleware/request-log.js';
import { ApiError, JSON_BODY, type Refusals, refusalResponses, SIGNED_IN } from '../problem.js';
import type { RateLimits } from '../protection/rate-limits.js';
import { emptyResponse, jsonResponse } from '../responses.js';
import { createRouter } from '../router.js';
import { Chars, trimmedAround } from '../schemas.js';

/**
 * Any address the HTML standard's email inputs accept, blanks around it trimmed. The
 * pattern says all of it; `format: email` would not (it admits no blanks around).
 */
const Email = z
  .string()
  .max(254)
  .regex(trimmedAround(z.regexes.html5Email.source.slice(1, -1)), 'must be an email address')
  .trim()
  .openapi({
    description: 'An email address as HTML forms take it; blanks around it are trimmed',
    example: 'someone@example.com',
  });
/** Any length up to the bound: those over bcrypt's 72 bytes are hashed first (passwords.ts). */
const NewPassword = Chars(8, 1024).openapi({ example: 'correct horse battery' });
const Password = Chars(1, 1024);

const UserSchema = z
  .object({ id: z.uuid(), email: z.string(), role: z.enum(['user', 'admin']) })
  .openapi('User');
const TokenPairSchema = z
  .object({
    accessToken: z.string(),
    refreshToken: z.string(),
    tokenType: z.literal('Bearer'),
    expiresIn: z.number().int().openapi({ description: 'Access token lifetime in seconds' }),
  })
  .openapi('TokenPair');
const RefreshBody = z.object({ refreshToken: Chars(1, 512) });

/** bcrypt runs queue behind a small limiter (core/auth/passwords.ts); past it, 503. */
const passwordWork: Refusals = {
  overloaded: 'Too many sign-ins at once, or the api is at capacity; retry after Retry-After',
};

const json = <T extends z.ZodType>(schema: T) => ({ content: { 'application/json': { schema } } });

const register = createRoute({
  method: 'post',
  path: '/v1/auth/register',
  tags: ['auth'],
  summary: 'Create an account',
  request: { body: { required: true, ...json(z.object({ email: Email, password: NewPassword })) } },
  responses: {
    201: { description: 'Created', ...json(UserSchema) },
    ...refusalResponses({
      ...JSON_BODY,
      ...passwordWork,
      email_taken: 'The email is registered already',
    }),
  },
});

const login = createRoute({
  method: 'post',
  path: '/v1/auth/login',
  tags: ['auth'],
  summary: 'Sign in: an access token and a refresh token',
  request: { body: { required: true, ...json(z.object({ email: Email, password: Password })) } },
  responses: {
    200: { description: 'Signed in', ...json(TokenPairSchema) },
    ...refusalResponses({
      ...JSON_BODY,
      invalid_credentials: 'Unknown email, wrong password or a disabled account',
      rate_limited:
        'Too many requests, or too many failed sign-ins for this email from this client; retry after Retry-After',
      ...passwordWork,
    }),
  },
});

const refresh = createRoute({
  method: 'post',
  path: '/v1/auth/refresh',
  tags: ['auth'],
  summary: 'Rotate a refresh token for a new pair',
  description:
    'The presented refresh token stops working. Presenting a rotated token again revokes its whole family.',
  request: { body: { required: true, ...json(RefreshBody) } },
  responses: {
    200: { description: 'A new pair', ...json(TokenPairSchema) },
    ...refusalResponses({
      ...JSON_BODY,
      unauthorized: 'Unknown, expired, revoked or reused refresh token',
    }),
  },
});

const logout = createRoute({
  method: 'post',
  path: '/v1/auth/logout',
  tags: ['auth'],
  summary: 'Revoke a refresh token and the access tokens of its session',
  request: { body: { required: true, ...json(RefreshBody) } },
  responses: { 204: { description: 'Revoked' }, ...refusalResponses(JSON_BODY) },
});

const me = createRoute({
  method: 'get',
  path: '/v1/me',
  tags: ['auth'],
  summary: 'The signed-in user',
  security: [{ bearerAuth: [] }],
  middleware: [requireUser] as const,
  responses: {
    200: { description: 'The user', ...json(UserSchema) },
    ...refusalResponses({
      ...SIGNED_IN,
      unauthorized: 'No valid access token, or its account is gone or disabled',
    }),
  },
});

export interface AuthDeps {
  db: Db;
  passwords: Passwords;
  accessTokens: AccessTokens;
  refreshTokens: RefreshTokens;
  revocations: Pick<Revocations, 'revokeFamily'>;
  rateLimits: RateLimits;
  logger: Logger;
}

const publicUser = (u: { id: string; email: string; role: 'user' | 'admin' }) => ({
  id: u.id,
  email: u.email,
  role: u.role,
});

export function authRoutes(deps: AuthDeps) {
  const { db, passwords, accessTokens, refreshTokens, revocations, rateLimits } = deps;
  const app = createRouter();

  const tokenPair = async (
    principal: { userId: string; role: 'user' | 'admin' },
    refreshToken: string,
    familyId: string,
  ) => ({
    accessToken: await accessTokens.sign(principal, familyId),
    refreshToken,
    tokenType: 'Bearer' as const,
    expiresIn: accessTokens.ttlSeconds,
  });

  app.openapi(register, async (c) => {
    const { email, password } = c.req.valid('json');
    const user = await createUser(db, { email, passwordHash: await passwords.hash(password) });
    if (!user) throw new ApiError('email_taken', 'An account with this email exists already');
    return jsonResponse({ object: publicUser(user) }, 201);
  });

  app.openapi(login, async (c) => {
    const { password } = c.req.valid('json');
    const email = normaliseEmail(c.req.valid('json').email);
    const guardKey = rateLimits.logins.key(email, c.get('clientIp'));
    // Counted before the password is checked: parallel guesses cannot outrun the guard.
    await rateLimits.logins.attempt(guardKey);

    const user = await findUserByEmail(db, email);
    // Unknown email, wrong password and a disabled account cost the same bcrypt time and
    // give the same answer.
    const ok = user
      ? await passwords.verify(password, user.passwordHash)
      : await passwords.verifyNobody(password);
    const audit = { targetType: 'user', ip: c.get('clientIp'), requestId: c.get('requestId') };
    if (!user || !ok || user.disabledAt) {
      await recordAudit(db, {
        ...audit,
        actorId: user?.id ?? null,
        action: 'auth.login_failed',
        targetId: user?.id ?? null,
        details: user?.disabledAt && ok ? { reason: 'disabled' } : undefined,
      });
      throw new ApiError('invalid_credentials', 'The email or the password is wrong');
    }
    await rateLimits.logins.reset(guardKey);
    await recordAudit(db, {
      ...audit,
      actorId: user.id,
      action: 'auth.login_succeeded',
      targetId: user.id,
    });
    const principal = { userId: user.id, role: user.role };
    const familyId = randomUUID();
    const refreshToken = await refreshTokens.issue(user.id, familyId);
    return jsonResponse({ object: await tokenPair(principal, refreshToken, familyId) }, 200);
  });

  app.openapi(refresh, async (c) => {
    const result = await refreshTokens.rotate(c.req.valid('json').refreshToken);
    if (result.outcome === 'rotated') {
      return jsonResponse(
        { object: await tokenPair(result.principal, result.refreshToken, result.familyId) },
        200,
      );
    }
    if (result.outcome === 'reused') {
      // The family is revoked in Postgres; its access tokens die with it.
      await revocations.revokeFamily(result.familyId);
      await recordAudit(db, {
        actorId: result.userId,
        action: 'auth.refresh_reused',
        targetType: 'refresh_token_family',
        targetId: result.familyId,
        ip: c.get('clientIp'),
        requestId: c.get('requestId'),
      });
      logOf(c, deps.logger).warn({ userId: result.userId }, 'refresh token reused: family revoked');
    }
    throw new ApiError('unauthorized', 'The refresh token is not valid');
  });

  app.openapi(logout, async (c) => {
    const familyId = await refreshTokens.revoke(c.req.valid('json').refreshToken);
    if (familyId) await revocations.revokeFamily(familyId);
    return emptyResponse(204);
  });

  app.openapi(me, async (c) => {
    const user = await findUserById(db, principalOf(c).userId);
    // A valid token for a deleted account: the account is gone, the token means nothing.
    if (!user || user.disabledAt)
      throw new ApiError('unauthorized', 'The account no longer exists');
    return jsonResponse({ object: publicUser(user) }, 200);
  });

  return app;
}
