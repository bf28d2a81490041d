import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXAMPLE_EVENT, request, startTestServer, type TestServer } from './support/test-server.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

describe('restaurant routes', () => {
  it('creates a restaurant with 201, gets it, and refuses a second create with 409 RESTAURANT_ALREADY_EXISTS', async () => {
    const created = await request(`${server.url}/v1/restaurants`, {
      body: { restaurant_id: 'res_rest_1', name: 'Central', maturity_days: 2 },
    });
    expect(created.status).toBe(201);
    expect(created.body.data).toMatchObject({ restaurant_id: 'res_rest_1', name: 'Central', maturity_days: 2 });
    const fetched = await request(`${server.url}/v1/restaurants/res_rest_1`);
    expect(fetched.body.data).toEqual(created.body.data);
    const again = await request(`${server.url}/v1/restaurants`, { body: { restaurant_id: 'res_rest_1' } });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('RESTAURANT_ALREADY_EXISTS');
  });

  it('updates name and maturity days; the new window applies to the next event', async () => {
    await request(`${server.url}/v1/restaurants`, { body: { restaurant_id: 'res_rest_2' } });
    const updated = await request(`${server.url}/v1/restaurants/res_rest_2`, {
      method: 'PATCH',
      body: { name: 'Maido', maturity_days: 0 },
    });
    expect(updated.status).toBe(200);
    expect(updated.body.data).toMatchObject({ name: 'Maido', maturity_days: 0 });
    const event = await request(`${server.url}/v1/processor/events`, {
      body: { ...EXAMPLE_EVENT, event_id: 'evt_rest_2', restaurant_id: 'res_rest_2' },
    });
    expect(event.body.data.entries[0].available_at).toBe('2025-12-20T15:10:00.000Z');
  });

  it.each([
    ['GET', '/v1/restaurants/res_missing', undefined, 404, 'RESTAURANT_NOT_FOUND'],
    ['PATCH', '/v1/restaurants/res_missing', { name: 'x' }, 404, 'RESTAURANT_NOT_FOUND'],
    ['GET', '/v1/restaurants/res_missing/balance?currency=PEN', undefined, 404, 'RESTAURANT_NOT_FOUND'],
    ['PATCH', '/v1/restaurants/res_rest_1', {}, 422, 'VALIDATION_ERROR'],
    ['PATCH', '/v1/restaurants/res_rest_1', { maturity_days: 366 }, 422, 'VALIDATION_ERROR'],
    ['POST', '/v1/restaurants', { restaurant_id: 'bad id!' }, 422, 'VALIDATION_ERROR'],
    ['GET', '/v1/restaurants/res_rest_1/balance', undefined, 422, 'VALIDATION_ERROR'],
    ['GET', '/v1/restaurants/res_rest_1/balance?currency=PEN&as_of=yesterday', undefined, 422, 'VALIDATION_ERROR'],
    ['GET', '/v1/restaurants/res_rest_1/balance?currency=PEN&currency=USD', undefined, 422, 'VALIDATION_ERROR'],
    ['GET', '/v1/restaurants/res_rest_1/balance?currency=PEN&asOf=2025-12-26', undefined, 422, 'VALIDATION_ERROR'],
    ['GET', '/v1/restaurants/res_rest_1/balance?currency=PEN&as_of[]=2025-12-26', undefined, 422, 'VALIDATION_ERROR'],
    ['GET', '/v1/restaurants/res_rest_1?verbose=1', undefined, 422, 'VALIDATION_ERROR'],
    ['POST', '/v1/restaurants', { restaurant_id: 'res_nul', name: 'a\u0000b' }, 422, 'VALIDATION_ERROR'],
  ])('%s %s → %i %s', async (method, path, body, status, code) => {
    const response = await request(`${server.url}${path}`, { method, body });
    expect(response.status).toBe(status);
    expect(response.body.error.code).toBe(code);
  });

  it('explains the accepted as_of formats, and reads a + that arrived as a space as +', async () => {
    const garbage = await request(`${server.url}/v1/restaurants/res_rest_1/balance?currency=PEN&as_of=2025-12-27T15:10`);
    expect(garbage.body.error.details.issues).toEqual([{ field: 'as_of', message: expect.stringContaining('%2B') }]);
    const unencoded = await request(`${server.url}/v1/restaurants/res_rest_1/balance?currency=PEN&as_of=2025-12-27T20:10:00+05:00`);
    expect(unencoded.status).toBe(200);
    expect(unencoded.body.data.as_of).toBe('2025-12-27T15:10:00.000Z');
  });

  it('answers zeros for a known restaurant with nothing in that currency', async () => {
    const response = await request(`${server.url}/v1/restaurants/res_rest_1/balance?currency=USD`);
    expect(response.body.data).toMatchObject({ available: 0, pending: 0, total: 0, last_event_at: null });
  });
});

describe('the OpenAPI document', () => {
  it('documents the webhook with 201, the idempotent 200, its error codes in the envelope, and its signature scheme', async () => {
    const { body: document } = await request(`${server.url}/openapi.json`);
    const operation = document.paths['/v1/processor/events'].post;
    expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining(['201', '200', '400', '401', '409', '413', '415', '422', '500']));
    expect(operation.responses['201'].content['application/json'].schema.properties.success).toEqual({ const: true });
    expect(operation.responses['409'].description).toContain('EVENT_ID_CONFLICT');
    // webhook-signature is the security scheme's header; the other two Standard Webhooks headers are parameters.
    expect(operation.parameters.map((p: { name: string }) => p.name)).toEqual(expect.arrayContaining(['webhook-id', 'webhook-timestamp']));
    expect(operation.security).toEqual([{ WebhookSignature: [] }]);
    expect(document.components.securitySchemes.WebhookSignature).toMatchObject({ type: 'apiKey', in: 'header', name: 'webhook-signature' });
    expect(document.paths['/v1/restaurants/{restaurant_id}/balance'].get.security).toEqual([{ ApiKey: [] }]);
  });
});
