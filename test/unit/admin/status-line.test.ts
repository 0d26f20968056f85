/**
 * The admin API's HTTP status lines carry the standard reason phrase. A forwarded request refused by an
 * owner with another admin token answers 502; it was written `502 Status` (no phrase in the table),
 * which is what `curl -i` showed an operator mid token rotation.
 */
import { describe, expect, it } from 'vitest';
import { statusLine } from '../../../src/admin/http.js';

describe('admin statusLine', () => {
  it('names the reason of every status the admin API answers with', () => {
    expect(statusLine(502)).toBe('502 Bad Gateway');
    expect(statusLine(429)).toBe('429 Too Many Requests');
    expect(statusLine(422)).toBe('422 Unprocessable Content');
    expect(statusLine(404)).toBe('404 Not Found');
    expect(statusLine(503)).toBe('503 Service Unavailable');
  });
});
