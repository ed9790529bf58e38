/**
 * Drives the marketplace emulator the way Microsoft's clients and Microsoft itself would: plain HTTP(S) calls,
 * tokens from the fake Entra token endpoint, webhooks received by a small local server. Nothing here uses the
 * project's marketplace client: these tests check the emulator against the reference document.
 */

import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import type { MarketplaceEmulatorOptions } from '#infra/local/emulator/index.ts';
import { type MarketplaceEmulator, startMarketplaceEmulator } from '#infra/local/emulator/index.ts';
import { loadCatalog } from '#shared/adapters/catalog/catalog-file.ts';

const REPO_ROOT = resolve(import.meta.dirname, '../..');
export const MARKETPLACE_RESOURCE = '20e940b3-4c77-4b0b-9a53-9e16a1b010a7';
export const API_VERSION = 'api-version=2018-08-31';
/** A Thursday 10:30 UTC: far from any hour, day or month boundary. */
export const START = new Date('2026-03-12T10:30:00.000Z');
/** Tenant in the audience of the sample catalog's private plan `enterprise-acme`. */
export const ACME_TENANT = '7a1f3c2e-5b8d-4e6f-9a0b-1c2d3e4f5a6b';
export const CUSTOMER_TENANT = '0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f';

/** A manual-clock emulator on the sample catalog. */
export async function startTestEmulator(
  options: Partial<MarketplaceEmulatorOptions> = {},
): Promise<MarketplaceEmulator> {
  return startMarketplaceEmulator({
    catalog: await loadCatalog(join(REPO_ROOT, 'infra/catalog/catalog.yaml')),
    clock: 'manual',
    startTime: START,
    seed: 42,
    ...options,
  });
}

/** `fetch` over HTTPS trusting only the given CA (Node's fetch takes no CA option without undici). */
export function fetchWithCa(ca: string) {
  return (
    url: string | URL,
    init: { method?: string; headers?: Record<string, string> | Headers; body?: string } = {},
  ): Promise<Response> =>
    new Promise((resolve, reject) => {
      const headers = Object.fromEntries(new Headers(init.headers).entries());
      const req = httpsRequest(url, { method: init.method ?? 'GET', headers, ca }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const responseHeaders = new Headers();
          for (const [name, value] of Object.entries(res.headers)) {
            if (typeof value === 'string') responseHeaders.set(name, value);
          }
          resolve(new Response(Buffer.concat(chunks), { status: res.statusCode ?? 0, headers: responseHeaders }));
        });
      });
      req.on('error', reject);
      req.end(init.body);
    });
}

/** Client-credentials token from the emulator's v2 token endpoint. */
export async function tokenFor(
  emulator: MarketplaceEmulator,
  app: { clientId: string; clientSecret: string; tenantId?: string } = emulator.entra,
  scope = `${MARKETPLACE_RESOURCE}/.default`,
): Promise<string> {
  const response = await fetchWithCa(emulator.entra.caCertificatePem)(
    `${emulator.entra.authorityHost}/${app.tenantId ?? emulator.entra.tenantId}/oauth2/v2.0/token`,
    {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: app.clientId,
        client_secret: app.clientSecret,
        scope,
      }).toString(),
    },
  );
  if (response.status !== 200) throw new Error(`token endpoint answered ${response.status}: ${await response.text()}`);
  return ((await response.json()) as { access_token: string }).access_token;
}

export interface ApiResponse {
  status: number;
  headers: Headers;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: test assertions read Microsoft's JSON freely
  json: any;
}

/** A marketplace API caller with a bearer token; `path` is below `/api` and gets `api-version` appended. */
export function marketplaceApi(emulator: MarketplaceEmulator, token: string) {
  return async (
    method: string,
    path: string,
    options: { body?: unknown; headers?: Record<string, string>; apiVersion?: boolean } = {},
  ): Promise<ApiResponse> => {
    const separator = path.includes('?') ? '&' : '?';
    const url = `${emulator.baseUrl}${path}${options.apiVersion === false ? '' : `${separator}${API_VERSION}`}`;
    const response = await fetch(url, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...options.headers,
      },
      ...(options.body === undefined
        ? {}
        : { body: typeof options.body === 'string' ? options.body : JSON.stringify(options.body) }),
    });
    const text = await response.text();
    let json: unknown;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: response.status, headers: response.headers, text, json };
  };
}

export type Api = ReturnType<typeof marketplaceApi>;

/** A customer's purchase with valid defaults: plan `basic` of `contoso-analytics`. */
export function aPurchase(overrides: Record<string, unknown> = {}) {
  return {
    offerId: 'contoso-analytics',
    planId: 'basic',
    beneficiary: { tenantId: CUSTOMER_TENANT, emailId: 'user@customer.example' },
    purchaser: { tenantId: CUSTOMER_TENANT, emailId: 'buyer@customer.example' },
    ...overrides,
  };
}

/** Buys, resolves and activates a subscription; returns its id. */
export async function anActiveSubscription(
  emulator: MarketplaceEmulator,
  api: Api,
  overrides: Record<string, unknown> = {},
): Promise<string> {
  const purchase = await emulator.control.purchase(aPurchase(overrides) as never);
  const subscription = emulator.control.subscription(purchase.subscriptionId);
  const activated = await api('POST', `/saas/subscriptions/${purchase.subscriptionId}/activate`, {
    body: {
      planId: subscription?.planId,
      ...(subscription?.quantity === undefined ? {} : { quantity: subscription.quantity }),
    },
  });
  if (activated.status !== 200) throw new Error(`activate answered ${activated.status}: ${activated.text}`);
  return purchase.subscriptionId;
}

export interface ReceivedWebhook {
  headers: IncomingHttpHeaders;
  // biome-ignore lint/suspicious/noExplicitAny: the §2.2 payload as received
  body: any;
}

/** A publisher webhook endpoint answering with `answer()` (default 200) and recording what it received. */
export async function startWebhookReceiver(): Promise<{
  url: string;
  received: ReceivedWebhook[];
  answer: (status: number) => void;
  answerSequence: (statuses: number[]) => void;
  /** Runs (awaited) on each call before it is answered, e.g. a publisher that PATCHes before answering; undefined: none. */
  beforeAnswer: (hook: ((body: Record<string, unknown>) => Promise<void>) | undefined) => void;
  stop: () => Promise<void>;
}> {
  const received: ReceivedWebhook[] = [];
  let sequence: number[] = [];
  let fallback = 200;
  let hook: ((body: Record<string, unknown>) => Promise<void>) | undefined;
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
      received.push({ headers: request.headers, body });
      void (async () => {
        await hook?.(body);
        response.writeHead(sequence.shift() ?? fallback).end();
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhook`,
    received,
    answer: (status) => {
      fallback = status;
    },
    answerSequence: (statuses) => {
      sequence = [...statuses];
    },
    beforeAnswer: (next) => {
      hook = next;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
