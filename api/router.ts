// Every OpenAPIHono instance (the app and each resource's router) is made here, so all of
// them turn validation failures into the same problem+json: the hook is per instance.
import { OpenAPIHono, type z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { AppEnv } from './env.js';
import { ApiError, type FieldError } from './problem.js';

const LOCATION: Record<string, string> = {
  json: 'body',
  form: 'body',
  query: 'query',
  param: 'path',
  header: 'header',
  cookie: 'cookie',
};

/**
 * A body of two shapes (a union) that fits neither is told the faults of the shape it came
 * closest to (the fewest faults; the first on a tie), each under its own field, rather
 * than one fault for the whole body.
 */
function closestShape(issue: z.core.$ZodIssue): z.core.$ZodIssue[] {
  if (issue.code !== 'invalid_union' || issue.errors.length === 0) return [issue];
  const closest = issue.errors.reduce((best, shape) => (shape.length < best.length ? shape : best));
  if (closest.length === 0) return [issue];
  return closest.flatMap((inner) =>
    closestShape({ ...inner, path: [...issue.path, ...inner.path] }),
  );
}

/** The problem for input that failed its schema: `errors` lists each offending field. */
export function validationFailed(target: string, issues: readonly z.core.$ZodIssue[]): ApiError {
  const where = LOCATION[target] ?? target;
  // Zod's messages name the expected type, never the received value: no input echo.
  const errors: FieldError[] = issues.flatMap(closestShape).map((issue) => ({
    in: where,
    field: issue.path.map(String).join('.'),
    message: issue.message,
  }));
  const fields = [...new Set(errors.map((e) => e.field || where))].join(', ');
  return new ApiError('validation_failed', `Invalid ${where}: ${fields}`, { extra: { errors } });
}

/**
 * A request header checked against its schema by hand, for routes that document the header
 * as a parameter instead of validating `request.headers` (which copies every header into
 * an object). Undefined when the header was not sent.
 */
export function validHeader<T>(c: Context, name: string, schema: z.ZodType<T>): T | undefined {
  const raw = c.req.header(name);
  if (raw === undefined) return undefined;
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    throw validationFailed(
      'header',
      parsed.error.issues.map((issue) => ({ ...issue, path: [name, ...issue.path] })),
    );
  }
  return parsed.data;
}

export function createRouter() {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) throw validationFailed(result.target, result.error.issues);
    },
  });
}
