// RFC 9457 problem+json: the one error type of the HTTP API. Every refusal carries a
// stable `code` from SPEC §2 that clients switch on; titles and statuses live here once.
import { z } from '@hono/zod-openapi';
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

// ---- OpenAPI: the shared error responses every route spreads into its `responses`.

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

const problemContent = { [PROBLEM_CONTENT_TYPE]: { schema: ProblemSchema } };
const described = (description: string) => ({ description, content: problemContent });

/** Responses any route may give: bad input, overload, unexpected failure. */
export const commonErrorResponses = {
  400: described('Invalid input (validation_failed); `errors` lists the offending fields'),
  413: described('Body over the size limit (payload_too_large)'),
  429: described('Rate limited (rate_limited), with Retry-After'),
  500: described('Unexpected failure (internal_error)'),
  503: described('Overloaded or a dependency is down (overloaded, dependency_unavailable)'),
} as const;

export const problemResponses = (
  ...entries: [status: number, description: string][]
): Record<number, ReturnType<typeof described>> =>
  Object.fromEntries(entries.map(([status, description]) => [status, described(description)]));
