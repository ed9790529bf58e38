import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { MarketplaceEmulator, PurchaseInput } from '#infra/local/emulator/index.ts';
import { localLambdaContext, toHttpApiEvent, writeHttpApiResult } from '#infra/local/lambda-http-adapter.ts';
import { httpEvent } from '#test/helpers/http-event.ts';
import { aSession } from '#test/helpers/session.ts';

type HttpHandler = (event: APIGatewayProxyEventV2, context: never) => Promise<APIGatewayProxyResultV2>;

/** Where the emulator's customers come from in these tests (the sample catalog's public plans are offered to it). */
export const CUSTOMER_TENANT = '0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f';

/** A purchase of `contoso-analytics` with valid defaults (plan `team`, 5 seats). */
export function aPurchaseInput(overrides: Partial<PurchaseInput> = {}): PurchaseInput {
  return {
    offerId: 'contoso-analytics',
    planId: 'team',
    quantity: 5,
    beneficiary: { tenantId: CUSTOMER_TENANT, emailId: 'user@customer.example' },
    purchaser: { tenantId: CUSTOMER_TENANT, emailId: 'buyer@customer.example' },
    ...overrides,
  } as PurchaseInput;
}

/**
 * The customer buys in the emulator, opens the landing page and clicks Activate, through the landing function:
 * the subscription ends up Subscribed at Microsoft and in our store. Returns its id.
 */
export async function buyAndActivate(
  emulator: MarketplaceEmulator,
  landing: HttpHandler,
  purchase: Partial<PurchaseInput> = {},
): Promise<string> {
  const bought = await emulator.control.purchase(aPurchaseInput(purchase));
  const context = localLambdaContext('Landing') as never;
  // The customer signs in first (the landing page requires it), then opens the page and clicks Activate.
  const session = await aSession({ tenantId: 'customer-tenant', objectId: 'buyer' });
  const page = (await landing(
    httpEvent('GET', `/landing${new URL(bought.landingUrl).search}`, { headers: { cookie: session.cookie } }),
    context,
  )) as APIGatewayProxyStructuredResultV2;
  if (page.statusCode !== 200) throw new Error(`landing page answered ${page.statusCode}`);
  const form = httpEvent('POST', '/landing', {
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: session.cookie },
  });
  form.body = new URLSearchParams({ token: bought.token, csrfToken: session.csrfToken }).toString();
  const activated = (await landing(form, context)) as APIGatewayProxyStructuredResultV2;
  if (activated.statusCode !== 200) throw new Error(`activation answered ${activated.statusCode}`);
  return bought.subscriptionId;
}

/**
 * The webhook function behind a local HTTP server, as API Gateway + Lambda would run it: point the emulator's webhook
 * URL at `url`.
 */
export async function serveWebhook(webhook: HttpHandler): Promise<{ url: string; stop: () => Promise<void> }> {
  const server = createServer((request, response) => {
    void (async () => {
      const event = await toHttpApiEvent(request, 'POST /webhook');
      writeHttpApiResult(response, await webhook(event, localLambdaContext('FulfillmentWebhook') as never));
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhook`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Polls `probe` until it returns something truthy (a webhook arrives asynchronously), or fails after `timeoutMs`. */
export async function eventually<T>(probe: () => Promise<T | undefined | false>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
