import { describe, expect, it } from 'vitest';
import { matchHttpRoute } from '#infra/functions.ts';

describe('HTTP route matching, as API Gateway does it', () => {
  const routes = [
    { path: '/health', methods: ['GET'] as const, functionId: 'Api', auth: 'apiKey' as const },
    { path: '/v1/{proxy+}', methods: ['ANY'] as const, functionId: 'Api', auth: 'apiKey' as const },
    { path: '/webhook', methods: ['POST'] as const, functionId: 'Webhook', auth: 'entraToken' as const },
    { path: '/landing/{step}', methods: ['GET'] as const, functionId: 'Landing', auth: 'marketplaceToken' as const },
  ];

  it('matches literal paths with their own method only', () => {
    expect(matchHttpRoute('GET', '/health', routes)?.routeKey).toBe('GET /health');
    expect(matchHttpRoute('POST', '/health', routes)).toBeUndefined();
  });

  it('matches a greedy proxy route for any method and passes the rest of the path', () => {
    const match = matchHttpRoute('DELETE', '/v1/api-keys/abc', routes);

    expect(match?.routeKey).toBe('ANY /v1/{proxy+}');
    expect(match?.pathParameters).toEqual({ proxy: 'api-keys/abc' });
  });

  it('extracts and decodes named path parameters', () => {
    expect(matchHttpRoute('GET', '/landing/a%20b', routes)?.pathParameters).toEqual({ step: 'a b' });
  });

  it('matches nothing for unknown paths, including the bare proxy prefix', () => {
    expect(matchHttpRoute('GET', '/nope', routes)).toBeUndefined();
    expect(matchHttpRoute('GET', '/v1', routes)).toBeUndefined();
  });
});
