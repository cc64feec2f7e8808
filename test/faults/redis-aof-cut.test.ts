// Fault 2: the machine crash. redis-server SIGKILLed mid-surge, then its AOF cut back by its
// last second (what `appendfsync everysec` may not have synced), then started again: Redis
// comes back with less than it acknowledged, and must not sell on its rolled-back counters.
import { faultSuite } from './suite.js';

faultSuite('aof-cut', 'SIGKILL, the last second of the AOF cut, restart');
