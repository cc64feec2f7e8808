// Every OpenAPIHono instance (the app and each resource's router) is made here, so all of
// them turn validation failures into the same problem+json: the hook is per instance.
import { OpenAPIHono } from '@hono/zod-openapi';
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

export function createRouter() {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (result.success) return;
      const where = LOCATION[result.target] ?? result.target;
      // Zod's messages name the expected type, never the received value: no input echo.
      const errors: FieldError[] = result.error.issues.map((issue) => ({
        in: where,
        field: issue.path.map(String).join('.'),
        message: issue.message,
      }));
      const fields = [...new Set(errors.map((e) => e.field || where))].join(', ');
      throw new ApiError('validation_failed', `Invalid ${where}: ${fields}`, { extra: { errors } });
    },
  });
}
