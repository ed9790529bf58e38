import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AccessToken, TokenCredential } from '@azure/identity';
import { afterEach, describe, expect, it } from 'vitest';
import { operationIdOf } from '#shared/adapters/marketplace/fulfillment-api-client.ts';
import {
  HttpMarketplace,
  type HttpMarketplaceOptions,
  MarketplaceBadRequestError,
  MarketplaceForbiddenError,
  MarketplaceNotFoundError,
  MarketplaceTokenError,
  MarketplaceUnavailableError,
  UsageEventConflictError,
} from '#shared/adapters/marketplace/http-marketplace.ts';
import { parseRetryAfter } from '#shared/adapters/marketplace/retry-policy.ts';
import { ValidationError } from '#shared/domain/errors.ts';
import type { UsageEvent } from '#shared/use-cases/ports/marketplace.ts';

// A tiny real HTTP server per test: the client's retries, headers and error mapping are exercised over real sockets,
// with no axios mocks.

interface Seen {
  readonly method: string;
  readonly url: URL;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
  readonly at: number;
}

type Handler = (request: Seen, response: ServerResponse, index: number) => void;

const servers: Server[] = [];

afterEach(async () => {
  await Promise.all(
    servers.splice(0).map(
      (server) =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    ),
  );
});

async function serve(handler: Handler): Promise<{ baseUrl: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      const entry: Seen = {
        method: request.method ?? '',
        url: new URL(request.url ?? '/', 'http://127.0.0.1'),
        headers: request.headers,
        body,
        at: Date.now(),
      };
      seen.push(entry);
      handler(entry, response, seen.length - 1);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return { baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`, seen };
}

function json(response: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(body === undefined ? undefined : JSON.stringify(body));
}

class CountingCredential implements TokenCredential {
  calls = 0;
  constructor(private readonly lifetimeMs = 3_600_000) {}
  async getToken(): Promise<AccessToken> {
    this.calls += 1;
    return { token: `token-${this.calls}`, expiresOnTimestamp: Date.now() + this.lifetimeMs };
  }
}

interface LogLine {
  readonly level: 'info' | 'warn';
  readonly message: string;
  readonly attributes: Record<string, unknown>;
}

function client(baseUrl: string, overrides: Partial<HttpMarketplaceOptions> = {}) {
  const lines: LogLine[] = [];
  const marketplace = new HttpMarketplace({
    baseUrl,
    credential: new CountingCredential(),
    retry: { maxAttempts: 5, totalBudgetMs: 5_000, baseDelayMs: 20, maxDelayMs: 100, attemptTimeoutMs: 2_000 },
    logger: {
      info: (message, ...attributes) =>
        lines.push({ level: 'info', message, attributes: Object.assign({}, ...attributes) }),
      warn: (message, ...attributes) =>
        lines.push({ level: 'warn', message, attributes: Object.assign({}, ...attributes) }),
    },
    ...overrides,
  });
  return { marketplace, lines };
}

const subscription = {
  id: 'sub-1',
  offerId: 'offer1',
  planId: 'silver',
  saasSubscriptionStatus: 'Subscribed',
};

const event: UsageEvent = {
  resourceId: 'sub-1',
  quantity: 5,
  dimension: 'calls',
  effectiveStartTime: '2026-01-01T08:00:00Z',
  planId: 'silver',
};

describe('HttpMarketplace requests', () => {
  it('sends api-version, a bearer token, a fresh request id per call and the caller correlation id', async () => {
    const { baseUrl, seen } = await serve((_request, response) => json(response, 200, subscription));
    const { marketplace } = client(baseUrl);

    await marketplace.getSubscription('sub-1', { correlationId: 'corr-1' });
    await marketplace.getSubscription('sub-1');

    const [first, second] = seen;
    expect(first?.url.pathname).toBe('/api/saas/subscriptions/sub-1');
    expect(first?.url.searchParams.get('api-version')).toBe('2018-08-31');
    expect(first?.headers.authorization).toBe('Bearer token-1');
    expect(first?.headers['x-ms-correlationid']).toBe('corr-1');
    expect(first?.headers['x-ms-requestid']).toMatch(/^[0-9a-f-]{36}$/);
    expect(second?.headers['x-ms-requestid']).not.toBe(first?.headers['x-ms-requestid']);
    expect(second?.headers['x-ms-correlationid']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('logs each call with operation, status, duration and both ids', async () => {
    const { baseUrl, seen } = await serve((_request, response) => json(response, 200, subscription));
    const { marketplace, lines } = client(baseUrl);

    await marketplace.getSubscription('sub-1', { correlationId: 'corr-log' });

    expect(lines).toEqual([
      {
        level: 'info',
        message: 'Marketplace call succeeded',
        attributes: expect.objectContaining({
          operation: 'getSubscription',
          status: 200,
          durationMs: expect.any(Number),
          attempts: 1,
          requestId: seen[0]?.headers['x-ms-requestid'],
          correlationId: 'corr-log',
        }),
      },
    ]);
  });

  it('sends the decoded landing token to Resolve in x-ms-marketplace-token', async () => {
    const { baseUrl, seen } = await serve((_request, response) =>
      json(response, 200, { id: 'sub-1', offerId: 'offer1', planId: 'silver', quantity: '', subscription }),
    );
    const { marketplace } = client(baseUrl);

    const resolved = await marketplace.resolve('ab+cd/ef');

    expect(seen[0]?.method).toBe('POST');
    expect(seen[0]?.headers['x-ms-marketplace-token']).toBe('ab+cd/ef');
    expect(resolved.quantity).toBeUndefined();
  });

  it('returns the operation id from Operation-Location of a 202', async () => {
    const { baseUrl, seen } = await serve((_request, response) =>
      json(response, 202, undefined, {
        'operation-location': `${baseUrl}/saas/subscriptions/sub-1/operations/op-9?api-version=2018-08-31`,
      }),
    );
    const { marketplace } = client(baseUrl);

    const operation = await marketplace.changeQuantity('sub-1', 7);

    expect(operation.operationId).toBe('op-9');
    expect(seen[0]?.method).toBe('PATCH');
    expect(JSON.parse(seen[0]?.body ?? '')).toEqual({ quantity: 7 });
  });

  it('follows every @nextLink page, with one correlation id for the whole listing', async () => {
    const { baseUrl, seen } = await serve((request, response) => {
      const token = request.url.searchParams.get('continuationToken');
      if (token === null) {
        json(response, 200, {
          subscriptions: [{ ...subscription, id: 'a' }],
          '@nextLink': `${baseUrl}/saas/subscriptions?continuationToken=p2&api-version=2018-08-31`,
        });
      } else {
        json(response, 200, { subscriptions: [{ ...subscription, id: 'b' }], '@nextLink': '' });
      }
    });
    const { marketplace } = client(baseUrl);

    const ids: string[] = [];
    for await (const item of marketplace.listSubscriptions()) ids.push(item.id);

    expect(ids).toEqual(['a', 'b']);
    expect(seen[0]?.headers['x-ms-correlationid']).toBe(seen[1]?.headers['x-ms-correlationid']);
  });

  it('refuses to follow a @nextLink to another host with our token', async () => {
    const { baseUrl } = await serve((_request, response) => json(response, 200, {}));
    const { marketplace } = client(baseUrl);

    await expect(marketplace.listSubscriptionsPage('https://elsewhere.example/api/saas/subscriptions')).rejects.toThrow(
      /another host/,
    );
  });

  it('reads an empty body of a list call as an empty list', async () => {
    const { baseUrl } = await serve((_request, response) => {
      response.writeHead(200);
      response.end();
    });
    const { marketplace } = client(baseUrl);

    expect(await marketplace.listOutstandingOperations('sub-1')).toEqual([]);
    expect(await marketplace.listAvailablePlans('sub-1')).toEqual([]);
  });

  it('refuses an empty or oversized usage batch before sending anything', async () => {
    const { baseUrl, seen } = await serve((_request, response) => json(response, 200, { result: [] }));
    const { marketplace } = client(baseUrl);

    await expect(marketplace.postBatchUsageEvents([])).rejects.toThrow(ValidationError);
    await expect(marketplace.postBatchUsageEvents(Array(26).fill(event))).rejects.toThrow(ValidationError);
    expect(seen).toHaveLength(0);
  });

  it('reads the operation id of Operation-Location values', () => {
    expect(operationIdOf('https://x/api/saas/subscriptions/s/operations/o%201?api-version=2018-08-31')).toBe('o 1');
    expect(operationIdOf('https://x/api/saas/subscriptions/s')).toBeUndefined();
  });
});

describe('HttpMarketplace retries', () => {
  it('retries 5xx with the same correlation id and new request ids, then succeeds', async () => {
    const { baseUrl, seen } = await serve((_request, response, index) =>
      index < 2
        ? json(response, index === 0 ? 500 : 503, { error: { code: 'x', message: 'y' } })
        : json(response, 200, subscription),
    );
    const { marketplace, lines } = client(baseUrl);

    const result = await marketplace.getSubscription('sub-1');

    expect(result.id).toBe('sub-1');
    expect(seen).toHaveLength(3);
    expect(new Set(seen.map((request) => request.headers['x-ms-correlationid'])).size).toBe(1);
    expect(new Set(seen.map((request) => request.headers['x-ms-requestid'])).size).toBe(3);
    expect(lines.filter((line) => line.level === 'warn')).toHaveLength(2);
    expect(lines.at(-1)?.attributes).toMatchObject({ status: 200, attempts: 3 });
  });

  it('retries a metering POST after a 5xx: a re-sent event can only come back Duplicate', async () => {
    const { baseUrl, seen } = await serve((_request, response, index) =>
      index === 0
        ? json(response, 500)
        : json(response, 200, { usageEventId: 'e1', status: 'Accepted', quantity: 5, resourceId: 'sub-1' }),
    );
    const { marketplace } = client(baseUrl);

    const accepted = await marketplace.postUsageEvent(event);

    expect(accepted).toMatchObject({ usageEventId: 'e1', status: 'Accepted' });
    expect(seen).toHaveLength(2);
    expect(JSON.parse(seen[1]?.body ?? '')).toEqual(event);
  });

  it('waits at least Retry-After seconds after a 429', async () => {
    const { baseUrl, seen } = await serve((_request, response, index) =>
      index === 0 ? json(response, 429, undefined, { 'retry-after': '1' }) : json(response, 200, subscription),
    );
    const { marketplace } = client(baseUrl);

    await marketplace.getSubscription('sub-1');

    expect(seen).toHaveLength(2);
    expect((seen[1]?.at ?? 0) - (seen[0]?.at ?? 0)).toBeGreaterThanOrEqual(950);
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');

    expect(parseRetryAfter('2', now)).toBe(2000);
    expect(parseRetryAfter('0.25', now)).toBe(250);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:03 GMT', now)).toBe(3000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 23:59:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });

  it('honours a Retry-After HTTP date over real HTTP', async () => {
    const { baseUrl, seen } = await serve((_request, response, index) =>
      index === 0
        ? json(response, 429, undefined, { 'retry-after': new Date(Date.now() + 2_000).toUTCString() })
        : json(response, 200, subscription),
    );
    const { marketplace } = client(baseUrl);

    await marketplace.getSubscription('sub-1');

    // HTTP dates have whole seconds: the wait is between 1 and 2 s.
    expect((seen[1]?.at ?? 0) - (seen[0]?.at ?? 0)).toBeGreaterThanOrEqual(950);
  });

  it('never retries a 400 and carries the API details', async () => {
    const { baseUrl, seen } = await serve((_request, response) =>
      json(response, 400, {
        message: 'One or more errors have occurred.',
        target: 'usageEventRequest',
        details: [{ message: 'The resourceId is required.', target: 'ResourceId', code: 'BadArgument' }],
        code: 'BadArgument',
      }),
    );
    const { marketplace } = client(baseUrl);

    const error = await marketplace.postUsageEvent(event).catch((caught: unknown) => caught);

    expect(seen).toHaveLength(1);
    expect(error).toBeInstanceOf(MarketplaceBadRequestError);
    expect(error).toMatchObject({
      status: 400,
      code: 'BadArgument',
      target: 'usageEventRequest',
      details: [{ message: 'The resourceId is required.', target: 'ResourceId', code: 'BadArgument' }],
    });
    expect((error as Error).message).toContain('ResourceId: The resourceId is required.');
  });

  it.each([
    [403, MarketplaceForbiddenError],
    [404, MarketplaceNotFoundError],
  ])('never retries a %i', async (status, type) => {
    const { baseUrl, seen } = await serve((_request, response) => json(response, status, { message: 'no' }));
    const { marketplace } = client(baseUrl);

    await expect(marketplace.getSubscription('sub-1')).rejects.toThrow(type);
    expect(seen).toHaveLength(1);
  });

  it('tells the publisher what to check on a 403', async () => {
    const { baseUrl } = await serve((_request, response) => json(response, 403, {}));
    const { marketplace } = client(baseUrl);

    await expect(marketplace.getSubscription('sub-1')).rejects.toThrow(
      /Technical configuration.*tenant id.*client\) id.*20e940b3-4c77-4b0b-9a53-9e16a1b010a7\/\.default/s,
    );
  });

  it('turns a 409 on a usage event into UsageEventConflictError with the accepted event', async () => {
    const { baseUrl, seen } = await serve((_request, response) =>
      json(response, 409, {
        additionalInfo: {
          acceptedMessage: { usageEventId: 'e0', status: 'Duplicate', quantity: 5, resourceId: 'sub-1' },
        },
        message: 'This usage event already exist.',
        code: 'Conflict',
      }),
    );
    const { marketplace } = client(baseUrl);

    const error = await marketplace.postUsageEvent(event).catch((caught: unknown) => caught);

    expect(seen).toHaveLength(1);
    expect(error).toBeInstanceOf(UsageEventConflictError);
    expect((error as UsageEventConflictError).acceptedMessage).toMatchObject({ usageEventId: 'e0', quantity: 5 });
  });

  it('retries a dropped connection', async () => {
    const { baseUrl, seen } = await serve((_request, response, index) => {
      if (index === 0) {
        response.socket?.destroy();
        return;
      }
      json(response, 200, subscription);
    });
    const { marketplace } = client(baseUrl);

    expect((await marketplace.getSubscription('sub-1')).id).toBe('sub-1');
    expect(seen).toHaveLength(2);
  });

  it('retries an attempt that times out', async () => {
    const { baseUrl, seen } = await serve((_request, response, index) => {
      if (index === 0) {
        setTimeout(() => json(response, 200, subscription), 500);
        return;
      }
      json(response, 200, subscription);
    });
    const { marketplace } = client(baseUrl, {
      retry: { maxAttempts: 3, totalBudgetMs: 5_000, baseDelayMs: 10, maxDelayMs: 10, attemptTimeoutMs: 150 },
    });

    expect((await marketplace.getSubscription('sub-1')).id).toBe('sub-1');
    expect(seen).toHaveLength(2);
  });

  it('treats a 400 "already Subscribed" after a lost Activate answer as success when the subscription is active', async () => {
    const { baseUrl, seen } = await serve((request, response, index) => {
      if (index === 0) {
        response.socket?.destroy(); // the activation happened, its answer was lost
      } else if (request.method === 'POST') {
        json(response, 400, { message: 'The subscription is already Subscribed.', code: 'BadArgument' });
      } else {
        json(response, 200, subscription);
      }
    });
    const { marketplace } = client(baseUrl);

    await expect(marketplace.activate('sub-1', { planId: 'silver' })).resolves.toBeUndefined();
    expect(seen.map((request) => request.method)).toEqual(['POST', 'POST', 'GET']);
  });

  it('keeps the 400 of a first Activate attempt', async () => {
    const { baseUrl, seen } = await serve((_request, response) => json(response, 400, { code: 'BadArgument' }));
    const { marketplace } = client(baseUrl);

    await expect(marketplace.activate('sub-1', { planId: 'silver' })).rejects.toThrow(MarketplaceBadRequestError);
    expect(seen).toHaveLength(1);
  });

  it('gives up with MarketplaceUnavailableError when the time budget is spent', async () => {
    const { baseUrl, seen } = await serve((_request, response) => json(response, 503));
    const { marketplace } = client(baseUrl, {
      retry: { maxAttempts: 50, totalBudgetMs: 400, baseDelayMs: 100, maxDelayMs: 100, attemptTimeoutMs: 1_000 },
      random: () => 1,
    });
    const started = Date.now();

    const error = await marketplace.getSubscription('sub-1').catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(MarketplaceUnavailableError);
    expect((error as MarketplaceUnavailableError).attempts).toBe(seen.length);
    expect(seen.length).toBeGreaterThan(1);
    expect(seen.length).toBeLessThan(50);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect((error as Error).message).toMatch(/budget/);
  });

  it('gives up after the last attempt', async () => {
    const { baseUrl, seen } = await serve((_request, response) => json(response, 500));
    const { marketplace } = client(baseUrl, {
      retry: { maxAttempts: 3, totalBudgetMs: 10_000, baseDelayMs: 1, maxDelayMs: 1, attemptTimeoutMs: 1_000 },
    });

    await expect(marketplace.getSubscription('sub-1')).rejects.toThrow(MarketplaceUnavailableError);
    expect(seen).toHaveLength(3);
  });

  it('does not wait for a Retry-After longer than the budget', async () => {
    const { baseUrl, seen } = await serve((_request, response) =>
      json(response, 429, undefined, { 'retry-after': '60' }),
    );
    const { marketplace } = client(baseUrl);
    const started = Date.now();

    await expect(marketplace.getSubscription('sub-1')).rejects.toThrow(MarketplaceUnavailableError);
    expect(seen).toHaveLength(1);
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});

describe('HttpMarketplace tokens', () => {
  it('asks the credential once for many calls', async () => {
    const { baseUrl, seen } = await serve((_request, response) => json(response, 200, subscription));
    const credential = new CountingCredential();
    const { marketplace } = client(baseUrl, { credential });

    await Promise.all(Array.from({ length: 10 }, () => marketplace.getSubscription('sub-1')));

    expect(credential.calls).toBe(1);
    expect(new Set(seen.map((request) => request.headers.authorization))).toEqual(new Set(['Bearer token-1']));
  });

  it('turns a failing credential into MarketplaceTokenError naming its kind, without calling the API', async () => {
    const { baseUrl, seen } = await serve((_request, response) => json(response, 200, subscription));
    const { marketplace } = client(baseUrl, {
      credential: { getToken: () => Promise.reject(new Error('AADSTS7000215: Invalid client secret provided.')) },
      credentialKind: 'secret',
      clientId: 'app-1',
      tenantId: 'tenant-1',
    });

    const error = await marketplace.getSubscription('sub-1').catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(MarketplaceTokenError);
    expect((error as Error).message).toMatch(/secret credential for app app-1 in tenant tenant-1.*AADSTS7000215/s);
    expect(seen).toHaveLength(0);
  });
});
