// The baseline of `npm run perf:http`: a bare @hono/node-server hello-world, no middleware, no
// I/O. Whatever the api answers per second is read as a ratio to this, measured in the same
// run on the same machine by the same load generator.
import { serve } from '@hono/node-server';
import { Hono } from 'hono';

const app = new Hono();
app.get('/', (c) => c.text('Hello, world!'));

serve({ fetch: app.fetch, hostname: '127.0.0.1', port: Number(process.env.PORT) });
