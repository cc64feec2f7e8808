// RFC 9457 problem+json: the one error type of the HTTP API. Every refusal carries a
// stable `code` from SPEC §2 that clients switch on; titles and statuses live here once.
import { type RouteConfig, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

export const ERRORS = {
  validation_failed: { status: 400, title: 'Validation failed' },
  unauthorized: { status: 401, title: 'Unauthorized' },
  invalid_credentials: { status: 401, title: 'Invalid credentials' },
  payment_failed: { status: 402, title: 'Payment failed' },
  forbidden: { status: 403, title: 'Forbidden' },
  queue_pass_required: { status: 403, title: 'Queue pass required' },
  queue_pass_invalid: { status: 403, title: 'Queue pass invalid' },
  queue_ticket_invalid: { status: 403, title: 'Queue ticket invalid' },
  access_code_required: { status: 403, title: 'Access code required' },
  access_code_invalid: { status: 403, title: 'Access code invalid' },
  access_code_used: { status: 403, title: 'Access code used by another account' },
  challenge_required: { status: 403, title: 'Challenge solution required' },
  challenge_invalid: { status: 403, title: 'Challenge solution invalid' },
  not_found: { status: 404, title: 'Not found' },
  method_not_allowed: { status: 405, title: 'Method not allowed' },
  email_taken: { status: 409, title: 'Email already registered' },
  sold_out: { status: 409, title: 'Sold out' },
  limit_exceeded: { status: 409, title: 'Per-user limit exceeded' },
  not_on_sale: { status: 409, title: 'Not on sale' },
  invalid_state: { status: 409, title: 'Invalid state' },
  invalid_transition: { status: 409, title: 'Invalid status transition' },
  has_reservations: { status: 409, title: 'Event has reservations' },
  capacity_below_sold: { status: 409, title: 'Capacity below held and sold' },
  seats_unavailable: { status: 409, title: 'Seats unavailable' },
  no_adjacent_seats: { status: 409, title: 'No adjacent seats' },
  single_seat_gap: { status: 409, title: 'Single seat gap' },
  hold_expired: { status: 410, title: 'Hold expired' },
  payload_too_large: { status: 413, title: 'Payload too large' },
  unsupported_media_type: { status: 415, title: 'Unsupported media type' },
  idempotency_key_reused: { status: 422, title: 'Idempotency key reused' },
  rate_limited: { status: 429, title: 'Too many requests' },
  internal_error: { status: 500, title: 'Internal error' },
  overloaded: { status: 503, title: 'Overloaded' },
  not_ready: { status: 503, title: 'Not ready' },
  dependency_unavailable: { status: 503, title: 'Dependency unavailable' },
  timeout: { status: 504, title: 'Request timed out' },
} as const satisfies Record<string, { status: ContentfulStatusCode; title: string }>;

export type ErrorCode = keyof typeof ERRORS;

export interface FieldError {
  /** Where the bad value was: body, query, path or header. */
  in: string;
  /** Dotted path of the field, e.g. `items.0.quantity`; empty for the whole document. */
  field: string;
  message: string;
}

export interface ProblemOptions {
  /** Extension members, e.g. `available` on sold_out or `errors` on validation_failed. */
  extra?: Record<string, unknown>;
  /** Response headers, e.g. Retry-After on 429/503. */
  headers?: Record<string, string>;
  cause?: unknown;
}

export class ApiError extends Error {
  readonly status: ContentfulStatusCode;

  constructor(
    readonly code: ErrorCode,
    readonly detail: string,
    readonly options: ProblemOptions = {},
  ) {
    // A 4xx is an answer, not a fault: no stack is captured for it. Capturing one was a
    // tenth of a refused reserve's CPU, and a crowd is refused far more often than served.
    const limit = Error.stackTraceLimit;
    if (ERRORS[code].status < 500) Error.stackTraceLimit = 0;
    super(detail, { cause: options.cause });
    Error.stackTraceLimit = limit;
    this.name = 'ApiError';
    this.status = ERRORS[code].status;
  }
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export function problemBody(code: ErrorCode, detail: string, requestId?: string, extra = {}) {
  const { status, title } = ERRORS[code];
  return { type: `/problems/${code}`, title, status, detail, code, requestId, ...extra };
}

/** Writes an ApiError as problem+json. */
export function problemResponse(c: Context, error: ApiError): Response {
  const body = problemBody(error.code, error.detail, c.get('requestId'), error.options.extra);
  return new Response(JSON.stringify(body), {
    status: error.status,
    headers: {
      'Content-Type': PROBLEM_CONTENT_TYPE,
      'X-Request-Id': c.get('requestId') ?? '',
      ...error.options.headers,
    },
  });
}

// ---- OpenAPI: each operation's refusals, declared from the codes it can answer.

export const ProblemSchema = z
  .object({
    type: z.string().openapi({ example: '/problems/sold_out' }),
    title: z.string().openapi({ example: 'Sold out' }),
    status: z.number().int().openapi({ example: 409 }),
    detail: z.string(),
    code: z.enum(Object.keys(ERRORS) as [ErrorCode, ...ErrorCode[]]),
    requestId: z.string().optional(),
    errors: z
      .array(z.object({ in: z.string(), field: z.string(), message: z.string() }))
      .optional()
      .openapi({ description: 'The offending fields, on validation_failed' }),
  })
  .openapi('Problem');

type OperationResponse = Exclude<RouteConfig['responses'][string], { $ref: string }>;

/** Why an operation answers each problem code it can answer, as its document says it. */
export type Refusals = Partial<Record<ErrorCode, string>>;

/** What any route may answer: the pipeline's refusals around every handler, and a fault. */
export const ANY_ROUTE: Refusals = {
  payload_too_large: 'The body is over the size limit',
  internal_error: 'An unexpected failure',
  timeout: 'No answer within the request deadline',
};

/** What any /v1 route may answer besides: the load shedder, rate limits, a store down. */
export const PRODUCT_ROUTE: Refusals = {
  ...ANY_ROUTE,
  overloaded: 'The api is at capacity; retry after Retry-After',
  rate_limited: 'Too many requests from this client or account; retry after Retry-After',
  dependency_unavailable: 'A backing service is unavailable; retry after Retry-After',
};

export const SIGNED_IN: Refusals = { unauthorized: 'No valid access token' };
export const ADMIN_ONLY: Refusals = { ...SIGNED_IN, forbidden: 'Not an admin' };
/** Parameters (path, query or header) checked against their schemas. */
export const PARAMETERS: Refusals = {
  validation_failed: 'A parameter breaks its schema; `errors` lists the offending fields',
};
/** A JSON body checked against its schema (and any parameters against theirs). */
export const JSON_BODY: Refusals = {
  validation_failed:
    'Malformed JSON, or a body or parameter that breaks its schema; `errors` lists the offending fields',
  unsupported_media_type: 'The body is not application/json',
};

/** The refusals answered with Retry-After (SPEC §2: 429 and 503). */
const RETRY_AFTER = {
  'Retry-After': {
    description: 'Seconds to wait before trying again',
    schema: { type: 'integer' as const, minimum: 0 },
    required: true,
  },
};

/**
 * The OpenAPI responses of an operation's refusals: one per status, each naming its codes
 * (the Problem schema with `status` and `code` narrowed to them) with an example of each;
 * `base`, the refusals every route of its kind may give, comes first.
 */
export function refusalResponses(refusals: Refusals, base: Refusals = PRODUCT_ROUTE) {
  const byStatus = new Map<number, [ErrorCode, string][]>();
  for (const [code, why] of Object.entries({ ...base, ...refusals }) as [ErrorCode, string][]) {
    const { status } = ERRORS[code];
    byStatus.set(status, [...(byStatus.get(status) ?? []), [code, why]]);
  }
  const responses: Record<number, OperationResponse> = {};
  for (const [status, answers] of byStatus) {
    const codes = answers.map(([code]) => code);
    responses[status] = {
      description: answers.map(([code, why]) => `\`${code}\`: ${why}`).join('; '),
      ...(status === 429 || status === 503 ? { headers: RETRY_AFTER } : {}),
      content: {
        [PROBLEM_CONTENT_TYPE]: {
          schema: {
            allOf: [
              { $ref: '#/components/schemas/Problem' },
              { type: 'object', properties: { status: { const: status }, code: { enum: codes } } },
            ],
          },
          examples: Object.fromEntries(
            answers.map(([code, why]) => [code, { summary: why, value: problemBody(code, why) }]),
          ),
        },
      },
    };
  }
  return responses;
}
