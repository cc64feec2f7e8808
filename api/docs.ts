// GET /docs: Swagger UI served entirely by the engine, from the pinned swagger-ui-dist
// package in node_modules — no CDN, so it works where the internet does not reach (a venue's
// closed network) and does not change under us. The page loads only its own assets
// (Content-Security-Policy 'self'); the assets are read once at start-up.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Hono } from 'hono';
import type { AppEnv } from './env.js';
import { ApiError } from './problem.js';

const dist = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));

const ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'swagger-ui-standalone-preset.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
};

/**
 * Only what the page itself serves; images inline as data: (Swagger UI's own icons). The
 * one inline style Swagger UI applies (found by the browser test: Chromium names its hash)
 * is allowed by that hash alone, no 'unsafe-inline'.
 */
const SWAGGER_UI_INLINE_STYLE = "'sha256-RL3ie0nH+Lzz2YNqQN83mnU0J1ot4QL7b99vMdIX99w='";
const CSP = [
  "default-src 'self'",
  "img-src 'self' data:",
  `style-src 'self' 'unsafe-hashes' ${SWAGGER_UI_INLINE_STYLE}`,
  "script-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Drop engine API</title>
  <link rel="stylesheet" href="/docs/assets/swagger-ui.css">
  <link rel="icon" type="image/png" href="/docs/assets/favicon-32x32.png">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/assets/swagger-ui-bundle.js"></script>
  <script src="/docs/assets/swagger-ui-standalone-preset.js"></script>
  <script src="/docs/init.js"></script>
</body>
</html>
`;

// The page's configuration as a script of its own: the CSP allows no inline script.
const INIT = `window.ui = SwaggerUIBundle({
  url: '/openapi.json',
  dom_id: '#swagger-ui',
  deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
  plugins: [SwaggerUIBundle.plugins.DownloadUrl],
  layout: 'StandaloneLayout',
});
`;

export function docsRoutes() {
  const files = new Map(
    Object.entries(ASSETS).map(([name, type]) => [
      name,
      { type, body: readFileSync(join(dist, name)) },
    ]),
  );
  const app = new Hono<AppEnv>();
  const headers = (type: string, cache: string) => ({
    'Content-Type': type,
    'Content-Security-Policy': CSP,
    'Cache-Control': cache,
  });
  app.get('/docs', (c) => c.body(PAGE, 200, headers('text/html; charset=utf-8', 'no-cache')));
  app.get('/docs/init.js', (c) =>
    c.body(INIT, 200, headers('text/javascript; charset=utf-8', 'no-cache')),
  );
  app.get('/docs/assets/:file', (c) => {
    const file = files.get(c.req.param('file'));
    if (!file) throw new ApiError('not_found', 'No such asset');
    // The package is pinned: an asset changes only with a new engine release.
    return c.body(file.body, 200, headers(file.type, 'public, max-age=86400'));
  });
  return app;
}
