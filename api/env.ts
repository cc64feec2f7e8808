// The Hono environment shared by the app, its middleware and its routes.
import type { Logger } from '../common/logger.js';

export interface AppEnv {
  Variables: {
    requestId: string;
    /** The request's logger: every line carries its request id. */
    log: Logger;
  };
}
