// Which failures are "a dependency is down" (503, retry) and which are bugs (500).
import { describe, expect, it } from 'vitest';
import { isDependencyDown } from '../../api/dependency-errors.js';

const withCode = (code: string) => Object.assign(new Error('socket'), { code });

describe('isDependencyDown', () => {
  it.each([
    ['a closed ioredis connection', new Error('Connection is closed.')],
    [
      'ioredis out of retries',
      Object.assign(new Error('x'), { name: 'MaxRetriesPerRequestError' }),
    ],
    ['a cluster without a ready slot map', new Error("Cluster isn't ready")],
    ['CLUSTERDOWN', new Error('CLUSTERDOWN The cluster is down')],
    ['a replica being written to', new Error('READONLY You can’t write against a replica')],
    ['a loading node', new Error('LOADING Redis is loading the dataset in memory')],
    ['a MOVED from a pipeline', new Error('MOVED 3999 127.0.0.1:6381')],
    ['a refused connection', withCode('ECONNREFUSED')],
    ['a postgres.js connect timeout', withCode('CONNECT_TIMEOUT')],
    ['Postgres shutting down (57P01)', withCode('57P01')],
    [
      'a driver error wrapped by drizzle',
      new Error('query failed', { cause: withCode('ECONNRESET') }),
    ],
  ])('%s is', (_, err) => {
    expect(isDependencyDown(err)).toBe(true);
  });

  it.each([
    ['a bug', new TypeError('x is undefined')],
    ['a script error', new Error('ERR Error running script')],
    ['a unique violation', withCode('23505')],
    ['READONLY inside a message', new Error('the key is READONLY')],
    ['nothing', undefined],
    ['a string', 'ECONNREFUSED'],
    ['null', null],
  ])('%s is not', (_, err) => {
    expect(isDependencyDown(err)).toBe(false);
  });

  it('does not loop on an error that is its own cause', () => {
    const err = new Error('odd');
    (err as { cause?: unknown }).cause = err;
    expect(isDependencyDown(err)).toBe(false);
  });
});
