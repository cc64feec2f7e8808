// Fault 3: total loss. redis-server SIGKILLed mid-surge and its data folder deleted; it
// starts empty. Stock, holds and confirmations come back from the durable record only.
import { faultSuite } from './suite.js';

faultSuite('total-loss', 'SIGKILL, data folder deleted, restart empty');
