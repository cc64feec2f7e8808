// The OpenAPI 3.1 document of the app's routes: served at /openapi.json (app.ts), and read
// by the unit tier from an app built on inert collaborators (test/unit/openapi.test.ts).
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from './env.js';
import { ProblemSchema } from './problem.js';

export function openApiDocument(app: OpenAPIHono<AppEnv>) {
  // Each refusal's schema refers to it (problem.ts refusalResponses).
  app.openAPIRegistry.register('Problem', ProblemSchema);
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
  });
  return app.getOpenAPI31Document({
    openapi: '3.1.0',
    info: {
      title: 'Drop engine API',
      version: '1.0.0',
      description:
        'Redis-first reservation engine for ticket drops. Errors are RFC 9457 problem+json.',
    },
  });
}

export type OpenApiDocument = ReturnType<typeof openApiDocument>;
