// Fault 1: redis-server SIGKILLed mid-surge and started again on its data folder. A process
// kill keeps the page cache, so nothing Redis acknowledged is lost — but the new boot must
// still fence every event until the verifier has compared Redis with Postgres.
import { faultSuite } from './suite.js';

faultSuite('kill', 'SIGKILL, restart on the same data');
