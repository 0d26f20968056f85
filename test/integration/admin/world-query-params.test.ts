/**
 * The step and map routes do not quietly drop what the operator asked for. Before:
 * `POST …/scheduler/step?n=100` sent with a JSON body `{}` (curl `-d '{}'`) ran 1 step, as did
 * `?n=abc` with that body (the query was read only without a body), and `?n=2` with `{"n":3}` ran 3;
 * `GET …/map?format=jsno` answered the binary map. Now the query's `n` is read and checked whatever
 * the body, `n` given in both is 400, and a `format` other than `json` / `binary` is 400.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { call, expectRefused, useRuntime } from './harness.js';

describe('step and map: query parameters are read and checked', () => {
  const s = useRuntime(['--npcs', '10'], 60_000);
  beforeAll(async () => {
    expect((await call(s.base, 'POST', '/api/v1/worlds/1/scheduler/pause')).status).toBe(200);
  }, 60_000);

  it('?n=N with an empty JSON body runs N steps', async () => {
    const r = await call(s.base, 'POST', '/api/v1/worlds/1/scheduler/step?n=7', { body: {} });
    expect(r.status).toBe(200);
    expect(r.json.stepsRun).toBe(7);
  });

  it('?n=abc with an empty JSON body is 400', async () => {
    const r = await call(s.base, 'POST', '/api/v1/worlds/1/scheduler/step?n=abc', { body: {} });
    expect(r.status).toBe(400);
    expect(r.json.code).toBe('WT_ERR_ADMIN_BAD_REQUEST');
    expect(r.json.message).toContain('n must be an integer between 1 and 10000');
  });

  it('n in both the body and the query is 400, nothing stepped', async () => {
    const before = (await call(s.base, 'GET', '/api/v1/worlds/1')).json.step;
    const r = await call(s.base, 'POST', '/api/v1/worlds/1/scheduler/step?n=2', { body: { n: 3 } });
    expect(r.status).toBe(400);
    expect(r.json.details.problems).toContain('n is given in both the body and the query: give it once');
    expect((await call(s.base, 'GET', '/api/v1/worlds/1')).json.step).toBe(before);
  });

  it('n given twice in the query is 400', async () => {
    const r = await call(s.base, 'POST', '/api/v1/worlds/1/scheduler/step?n=2&n=3');
    expect(r.status).toBe(400);
  });

  it('a parameter step does not take is 400, nothing stepped (before: ?count=100 ran 1 step)', async () => {
    const before = (await call(s.base, 'GET', '/api/v1/worlds/1')).json.step;
    await expectRefused(
      s.base,
      'POST',
      '/api/v1/worlds/1/scheduler/step?count=100',
      'invalid step request: query parameter count is not taken (n)',
    );
    expect((await call(s.base, 'GET', '/api/v1/worlds/1')).json.step).toBe(before);
  });

  it('the body alone and the query alone still work', async () => {
    expect((await call(s.base, 'POST', '/api/v1/worlds/1/scheduler/step', { body: { n: 2 } })).json.stepsRun).toBe(2);
    expect((await call(s.base, 'POST', '/api/v1/worlds/1/scheduler/step?n=3')).json.stepsRun).toBe(3);
    expect((await call(s.base, 'POST', '/api/v1/worlds/1/scheduler/step')).json.stepsRun).toBe(1);
  });

  it('map: format json, binary or absent; another format is 400', async () => {
    expect((await call(s.base, 'GET', '/api/v1/worlds/1/map?format=json')).json.worldId).toBe('1');
    const bin = await call(s.base, 'GET', '/api/v1/worlds/1/map?format=binary');
    expect(bin.status).toBe(200);
    expect(bin.headers.get('content-type')).toBe('application/octet-stream');
    const bad = await call(s.base, 'GET', '/api/v1/worlds/1/map?format=jsno');
    expect(bad.status).toBe(400);
    expect(bad.json.code).toBe('WT_ERR_ADMIN_BAD_REQUEST');
    expect(bad.json.message).toContain('format must be json or binary');
  });

  it('map: max or format given twice, or another parameter, is 400 (before: the first value, the rest ignored)', async () => {
    const twice = await call(s.base, 'GET', '/api/v1/worlds/1/map?format=json&max=5&max=6&format=binary');
    expect(twice.status).toBe(400);
    expect(twice.json.details.problems).toEqual([
      'max must be an integer between 1 and 200000, given once (got "5,6")',
      'format must be json or binary, given once (got "json,binary")',
    ]);
    await expectRefused(
      s.base,
      'GET',
      '/api/v1/worlds/1/map?fromat=json',
      'invalid map request: query parameter fromat is not taken (max, format)',
    );
  });
});
