// The Hono environment shared by the app, its middleware and its routes.
import type { Principal } from '../core/auth/access-tokens.js';
import type { Logger } from '../platform/logger.js';
import type { ApiBindings } from './http-server.js';

export interface AppEnv {
  /** What the server adapter (http-server.ts) hands every request. */
  Bindings: ApiBindings;
  Variables: {
    requestId: string;
    /** The request's logger, made on first use: see logOf (middleware/request-log.ts). */
    log?: Logger;
    /** The signed-in caller, when a valid bearer token came with the request. */
    principal?: Principal;
    /** The client's address (X-Forwarded-For only with TRUST_PROXY); on /v1 routes. */
    clientIp: string;
  };
}
