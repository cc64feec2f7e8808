// The hot routes' responses (api/responses.ts): plain-object headers, ETag matching.
import { describe, expect, it } from 'vitest';
import { emptyResponse, jsonResponse, notModified, serialize } from '../../api/responses.js';

const ETAG = '"abc"';

describe('If-None-Match', () => {
  it.each([
    ['the same tag', '"abc"', true],
    ['the weak tag', 'W/"abc"', true],
    ['one of a list', '"x", W/"abc" ,"y"', true],
    ['another tag', '"abd"', false],
    ['the tag unquoted', 'abc', false],
    ['nothing', undefined, false],
    ['an empty header', '', false],
  ])('%s: %s', (_, header, match) => {
    expect(notModified(header, ETAG)).toBe(match);
  });
});

describe('jsonResponse', () => {
  it('writes an object or the JSON already made, as application/json', async () => {
    const a = jsonResponse({ object: { a: 1 } }, 200);
    const b = jsonResponse({ json: serialize({ a: 1 }) }, 201);
    expect([a.status, b.status]).toEqual([200, 201]);
    expect(a.headers.get('content-type')).toBe('application/json');
    expect(await a.text()).toBe('{"a":1}');
    expect(await b.text()).toBe('{"a":1}');
  });

  it('keeps the handler’s headers, the JSON content type first', () => {
    const res = jsonResponse({ object: [] }, 200, { ETag: ETAG, 'Cache-Control': 'no-cache' });
    expect([...res.headers]).toEqual([
      ['cache-control', 'no-cache'],
      ['content-type', 'application/json'],
      ['etag', ETAG],
    ]);
  });

  it('an empty response carries only the headers it is given', async () => {
    const res = emptyResponse(304, { ETag: ETAG });
    expect(res.status).toBe(304);
    expect(res.headers.get('etag')).toBe(ETAG);
    expect(res.headers.get('content-type')).toBeNull();
    expect(await res.text()).toBe('');
  });
});
