import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Logger } from '@aws-lambda-powertools/logger';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { HttpMarketplace } from '#shared/adapters/marketplace/http-marketplace.ts';

describe('a failed marketplace call in the structured log', () => {
  let server: Server | undefined;
  afterEach(async () => {
    vi.restoreAllMocks();
    await new Promise((resolve) => server?.close(resolve));
  });

  it('keeps Microsoft’s error detail in the log line written by the Powertools logger', async () => {
    server = createServer((_request, response) => {
      response.writeHead(400, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({ error: { code: 'BadArgument', message: 'planId gold-x is not a plan of offer1' } }),
      );
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', () => resolve()));
    const written: string[] = [];
    const capture = (...args: unknown[]) => void written.push(args.map(String).join(' '));
    for (const method of ['log', 'info', 'warn', 'error'] as const) {
      vi.spyOn(console, method).mockImplementation(capture);
    }
    const marketplace = new HttpMarketplace({
      baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`,
      credential: { getToken: async () => ({ token: 't', expiresOnTimestamp: Date.now() + 3_600_000 }) },
      retry: { maxAttempts: 1, totalBudgetMs: 1_000, baseDelayMs: 1, maxDelayMs: 1, attemptTimeoutMs: 1_000 },
      logger: new Logger({ serviceName: 'test', logLevel: 'INFO' }),
    });

    await expect(marketplace.getSubscription('sub-1')).rejects.toThrow();

    const failure = written
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .find((entry) => entry.message === 'Marketplace call failed');
    expect(failure).toBeDefined();
    expect(JSON.stringify(failure)).toContain('planId gold-x is not a plan of offer1');
  });
});
