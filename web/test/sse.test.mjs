// The SSE parser on streams split at every possible place, against the events written by hand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSseParser } from '../src/sse.js';

const stream = ': keep-alive\n\ndata: {"a":1}\n\ndata:{"b":2}\r\n\r\nevent: x\ndata: line1\ndata: line2\n\ndata: [DONE]\n\n';
const want = ['{"a":1}', '{"b":2}', 'line1\nline2', '[DONE]'];

test('every split of the stream gives the same events', () => {
  for (let i = 0; i <= stream.length; i++) {
    const got = [];
    const p = createSseParser((d) => got.push(d));
    p.feed(stream.slice(0, i));
    p.feed(stream.slice(i));
    p.end();
    assert.deepEqual(got, want, `split at ${i}`);
  }
});

test('an event cut off by the end of the stream is still delivered', () => {
  const got = [];
  const p = createSseParser((d) => got.push(d));
  p.feed('data: {"last":true}');
  p.end();
  assert.deepEqual(got, ['{"last":true}']);
});
