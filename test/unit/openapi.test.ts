// The OpenAPI document tells the whole truth (issue 31): every operation declares the
// refusals its input, its guard and the request pipeline can give, each as problem+json
// with its codes and an example of each. Read from the app built on inert collaborators.
import { describe, expect, it } from 'vitest';
import { ERRORS, type ErrorCode, PROBLEM_CONTENT_TYPE } from '../../api/problem.js';
import { buildInertApp } from '../helpers/inert-app.js';

interface Parameter {
  in: string;
  name: string;
}
interface MediaType {
  schema?: { allOf?: Record<string, unknown>[] };
  examples?: Record<string, { value: { code: string; status: number } }>;
}
interface Response {
  headers?: Record<string, { required?: boolean }>;
  content?: Record<string, MediaType>;
}
interface Operation {
  tags?: string[];
  security?: unknown[];
  parameters?: Parameter[];
  requestBody?: unknown;
  responses: Record<string, Response>;
}

const document = buildInertApp().openApiDocument as unknown as {
  paths: Record<string, Record<string, Operation>>;
};
const operations = Object.entries(document.paths).flatMap(([path, methods]) =>
  Object.entries(methods).map(([method, operation]) => ({
    name: `${method.toUpperCase()} ${path}`,
    path,
    operation,
  })),
);

/** The problem codes an operation declares for a status (its schema's `code` enum). */
function codesOf(operation: Operation, status: number): ErrorCode[] {
  const media = operation.responses[status]?.content?.[PROBLEM_CONTENT_TYPE];
  const narrowed = media?.schema?.allOf?.[1] as
    | { properties: { code: { enum: ErrorCode[] } } }
    | undefined;
  return narrowed?.properties.code.enum ?? [];
}

/** What an operation must declare, from what the document says of it. */
function required({ path, operation }: (typeof operations)[number]): ErrorCode[] {
  const codes: ErrorCode[] = ['payload_too_large', 'internal_error', 'timeout'];
  if (path.startsWith('/v1/')) codes.push('overloaded', 'rate_limited', 'dependency_unavailable');
  const parameters = (operation.parameters ?? []).filter(
    (p) => p.in === 'path' || p.in === 'query',
  );
  if (parameters.length > 0 || operation.requestBody) codes.push('validation_failed');
  if (operation.requestBody) codes.push('unsupported_media_type');
  if (operation.parameters?.some((p) => p.in === 'path')) codes.push('not_found');
  if (operation.security?.length) codes.push('unauthorized');
  if (operation.tags?.includes('admin')) codes.push('forbidden');
  return codes;
}

describe('the OpenAPI document', () => {
  it('has every operation of the app', () => {
    expect(operations.length).toBeGreaterThan(25);
    expect(operations.map((o) => o.name)).toContain('POST /v1/reservations');
  });

  it.each(operations)('$name declares the refusals it can give', (entry) => {
    const declared = Object.keys(entry.operation.responses)
      .map(Number)
      .flatMap((status) => codesOf(entry.operation, status));
    expect(declared).toEqual(expect.arrayContaining(required(entry)));
  });

  it.each(operations)(
    '$name declares each refusal as a Problem with its codes, each with an example',
    ({ operation }) => {
      for (const [key, response] of Object.entries(operation.responses)) {
        const status = Number(key);
        if (status < 400) continue;
        const media = response.content?.[PROBLEM_CONTENT_TYPE];
        expect(media?.schema?.allOf?.[0], `${status}`).toEqual({
          $ref: '#/components/schemas/Problem',
        });
        const codes = codesOf(operation, status);
        expect(codes.length, `${status}`).toBeGreaterThan(0);
        for (const code of codes) {
          expect(ERRORS[code].status, code).toBe(status);
          expect(media?.examples?.[code]?.value).toMatchObject({ code, status });
        }
        if (status === 429 || status === 503) {
          expect(response.headers?.['Retry-After']?.required, `${status} Retry-After`).toBe(true);
        }
      }
    },
  );

  it('declares the refusals SPEC §2 and §9 name on reserve and confirm', () => {
    const byName = new Map(operations.map((o) => [o.name, o.operation]));
    const reserve = byName.get('POST /v1/reservations') as Operation;
    expect(codesOf(reserve, 409)).toEqual(
      expect.arrayContaining(['sold_out', 'limit_exceeded', 'not_on_sale']),
    );
    expect(codesOf(reserve, 403)?.sort()).toEqual(
      [
        'queue_pass_required',
        'queue_pass_invalid',
        'access_code_required',
        'access_code_invalid',
        'access_code_used',
        'challenge_required',
        'challenge_invalid',
      ].sort(),
    );
    expect(codesOf(reserve, 422)).toEqual(['idempotency_key_reused']);
    const confirm = byName.get('POST /v1/reservations/{id}/confirm') as Operation;
    expect(codesOf(confirm, 402)).toEqual(['payment_failed']);
    expect(codesOf(confirm, 410)).toEqual(['hold_expired']);
    expect(codesOf(confirm, 422)).toEqual(['idempotency_key_reused']);
  });
});
