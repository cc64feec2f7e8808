// What the worker sends (worker/notifications.ts, worker/batch-consumer.ts): webhook
// signatures a receiver can check, message values read as JSON or not at all.
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseJson } from '../../worker/batch-consumer.js';
import { signWebhook } from '../../worker/notifications.js';

describe('webhook signatures', () => {
  it('are HMAC-SHA256 over the timestamp and the body, as a receiver recomputes them', () => {
    const body = '{"id":"n1"}';
    const expected = createHmac('sha256', 'whsec-0123456789').update(`1796412345.${body}`);
    expect(signWebhook('whsec-0123456789', '1796412345', body)).toBe(
      `sha256=${expected.digest('hex')}`,
    );
  });

  it('change with the timestamp, the body and the secret', () => {
    const base = signWebhook('s'.repeat(16), '1', 'b');
    expect(signWebhook('s'.repeat(16), '2', 'b')).not.toBe(base);
    expect(signWebhook('s'.repeat(16), '1', 'c')).not.toBe(base);
    expect(signWebhook('t'.repeat(16), '1', 'b')).not.toBe(base);
  });
});

describe('message values', () => {
  it.each([
    [Buffer.from('{"a":1}'), { a: 1 }],
    [Buffer.from('[1,2]'), [1, 2]],
    [Buffer.from('{"a":'), undefined],
    [Buffer.from(''), undefined],
    [null, undefined],
  ])('%s reads as %j', (value, json) => {
    expect(parseJson(value)).toEqual(json);
  });
});
