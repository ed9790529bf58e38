import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { MAIN_TABLE } from '#infra/resources.ts';
import { apiKeyCodec } from '#shared/adapters/api-key-codec.ts';
import { DynamoAlertLog } from '#shared/adapters/dynamodb/dynamo-alert-log.ts';
import { DynamoApiKeyStore } from '#shared/adapters/dynamodb/dynamo-api-key-store.ts';
import { DynamoSubscriptionStore } from '#shared/adapters/dynamodb/dynamo-subscription-store.ts';
import { type AlertCandidate, alertKey } from '#shared/domain/alerts/alert.ts';
import { renderAlert } from '#shared/domain/alerts/templates.ts';
import { Money } from '#shared/domain/money.ts';
import { createApiKey } from '#shared/use-cases/access/create-api-key.ts';
import { systemClock } from '#shared/use-cases/ports/clock.ts';
import { oneCandidatePerRule } from '#test/builders/alerts.ts';
import { aPublisher, aSubscription } from '#test/builders/subscription.ts';
import { prepareFunctionEnvironment } from '#test/helpers/function-env.ts';
import { asDeclaredFunction } from '#test/helpers/guarded-handler.ts';
import { bodyOf, httpEvent } from '#test/helpers/http-event.ts';
import { aLambdaContext } from '#test/helpers/lambda-context.ts';
import { localClients } from '#test/helpers/local-aws.ts';

type Handler = typeof import('#functions/api/handler.ts')['handler'];
interface HistoryPage {
  readonly alerts: readonly { readonly key: string; readonly recipient: string; readonly subscriptionId: string }[];
  readonly nextCursor?: string;
}

const templates = oneCandidatePerRule((scale) => Money.of(scale === 'small' ? '1200' : '98000', 'JPY'));
const MINUTE = 60_000;

/**
 * `GET /v1/alerts` skips the alerts a caller may not see (a partner's alerts in its customer's history, another
 * subscription's in a recipient's history) before it cuts the page, so a page holds `limit` alerts while more
 * follow, and its cursor resumes after the last one shown. Through the real API handler against DynamoDB Local.
 */
describe('GET /v1/alerts pages the alerts the caller may see', () => {
  let handler: Handler;
  let log: DynamoAlertLog;
  const keys = { publisher: '', customer: '', partner: '' };
  const subscription = aSubscription({ beneficiary: { tenantId: 'tenant-paging' }, partnerId: 'partner-paging' });
  const otherSubscription = aSubscription({ beneficiary: { tenantId: 'tenant-paging' } });

  const call = async (path: string, apiKey: string) =>
    (await handler(httpEvent('GET', path, { apiKey }), aLambdaContext('Api'))) as APIGatewayProxyStructuredResultV2;

  /** Every page of a history, following `nextCursor` (at most 50 pages, so a cursor loop fails instead of hanging). */
  async function allPages(path: string, apiKey: string): Promise<HistoryPage[]> {
    const pages: HistoryPage[] = [];
    let cursor: string | undefined;
    do {
      const response = await call(`${path}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, apiKey);
      expect(response.statusCode, JSON.stringify(bodyOf(response))).toBe(200);
      const page = bodyOf(response) as unknown as HistoryPage;
      pages.push(page);
      cursor = page.nextCursor;
    } while (cursor && pages.length < 50);
    expect(cursor).toBeUndefined();
    return pages;
  }

  /** Records alerts with one minute between them, the first the newest, in parallel; returns their keys in order. */
  async function record(candidates: readonly AlertCandidate[], newest: Date): Promise<string[]> {
    const entries = candidates.map((candidate, index) => ({
      key: alertKey(candidate),
      candidate,
      locale: 'en' as const,
      message: renderAlert(candidate, 'en'),
      createdAt: new Date(newest.getTime() - index * MINUTE),
      leaseUntil: new Date(newest.getTime() + MINUTE),
    }));
    for (let at = 0; at < entries.length; at += 25) {
      await Promise.all(entries.slice(at, at + 25).map((entry) => log.record(entry)));
    }
    return entries.map((entry) => entry.key);
  }

  const forCustomer = (subscriptionId: string, periodKey: string): AlertCandidate =>
    ({
      ...templates.budgetThreshold,
      subscriptionId,
      customerId: 'tenant-paging',
      recipient: { kind: 'customer', id: 'tenant-paging' },
      periodKey,
    }) as AlertCandidate;
  const forPartner = (periodKey: string): AlertCandidate =>
    ({
      ...templates.chargesOverCreditLevel,
      subscriptionId: subscription.id,
      customerId: 'tenant-paging',
      recipient: { kind: 'partner', id: 'partner-paging' },
      periodKey,
    }) as AlertCandidate;

  // The subscription's log, newest first: 3 customer alerts, then 150 of its partner's (more than one read of the
  // log), then 4 customer alerts. The customer sees 7; the partner 150.
  let customerKeys: string[] = [];
  let partnerKeys: string[] = [];

  beforeAll(async () => {
    const resources = await prepareFunctionEnvironment();
    handler = asDeclaredFunction('Api', (await import('#functions/api/handler.ts')).handler);
    const { documentClient } = localClients();
    const table = resources[MAIN_TABLE.envVar] ?? '';
    const deps = { apiKeys: new DynamoApiKeyStore(documentClient, table), codec: apiKeyCodec, clock: systemClock };
    const make = async (input: Parameters<typeof createApiKey>[2]) =>
      (await createApiKey(deps, aPublisher(), input)).token;
    keys.publisher = await make({ name: 'publisher', role: 'publisher' });
    keys.customer = await make({ name: 'customer', role: 'customer', tenantId: 'tenant-paging' });
    keys.partner = await make({ name: 'partner', role: 'partner', partnerId: 'partner-paging' });
    const subscriptions = new DynamoSubscriptionStore(documentClient, table);
    await subscriptions.put(subscription);
    await subscriptions.put(otherSubscription);
    log = new DynamoAlertLog(documentClient, table);

    const newest = new Date('2026-03-31T12:00:00Z');
    const candidates = [
      ...['c1', 'c2', 'c3'].map((period) => forCustomer(subscription.id, period)),
      ...Array.from({ length: 150 }, (_, index) => forPartner(`p${index}`)),
      ...['c4', 'c5', 'c6', 'c7'].map((period) => forCustomer(subscription.id, period)),
    ];
    const recorded = await record(candidates, newest);
    customerKeys = recorded.filter((_, index) => index < 3 || index >= 153);
    partnerKeys = recorded.slice(3, 153);
  }, 60_000);

  it('fills each page of a customer’s subscription history past its partner’s alerts, resuming after the last shown', async () => {
    const pages = await allPages(`/v1/alerts?subscriptionId=${subscription.id}&limit=5`, keys.customer);

    expect(pages.map((page) => page.alerts.length)).toEqual([5, 2]);
    expect(pages.flatMap((page) => page.alerts.map((alert) => alert.key))).toEqual(customerKeys);
    for (const page of pages) {
      for (const alert of page.alerts) expect(alert.recipient).toBe('customer:tenant-paging');
    }
  });

  it('gives a customer a full page at once when the page size reaches past the partner’s alerts', async () => {
    const pages = await allPages(`/v1/alerts?subscriptionId=${subscription.id}&limit=7`, keys.customer);

    expect(pages[0]?.alerts.map((alert) => alert.key)).toEqual(customerKeys);
    expect(pages.flatMap((page) => page.alerts)).toHaveLength(7);
  });

  it('pages the partner’s alerts about the subscription, skipping its customer’s, each page full', async () => {
    const pages = await allPages(`/v1/alerts?subscriptionId=${subscription.id}&limit=40`, keys.partner);

    expect(pages.map((page) => page.alerts.length).slice(0, 3)).toEqual([40, 40, 40]);
    expect(pages.flatMap((page) => page.alerts.map((alert) => alert.key))).toEqual(partnerKeys);
  });

  it('pages the publisher’s view of the subscription unchanged: every alert once, newest first', async () => {
    const pages = await allPages(`/v1/alerts?subscriptionId=${subscription.id}&limit=100`, keys.publisher);

    expect(pages[0]?.alerts).toHaveLength(100);
    expect(pages.flatMap((page) => page.alerts.map((alert) => alert.key))).toEqual([
      ...customerKeys.slice(0, 3),
      ...partnerKeys,
      ...customerKeys.slice(3),
    ]);
  });

  it('fills a recipient’s history of one subscription past the alerts about its other subscriptions', async () => {
    // The customer's own alerts, newest first: 2 about the subscription, 120 about its other one, then 3 more.
    const newest = new Date('2026-04-30T12:00:00Z');
    const recorded = await record(
      [
        ...['r1', 'r2'].map((period) => forCustomer(subscription.id, period)),
        ...Array.from({ length: 120 }, (_, index) => forCustomer(otherSubscription.id, `o${index}`)),
        ...['r3', 'r4', 'r5'].map((period) => forCustomer(subscription.id, period)),
      ],
      newest,
    );
    const expected = [...recorded.slice(0, 2), ...recorded.slice(122), ...customerKeys];

    const pages = await allPages(
      `/v1/alerts?recipient=customer:tenant-paging&subscriptionId=${subscription.id}&limit=4`,
      keys.customer,
    );

    // Every page but the last is full (the last may be empty: a page that ends on the log's last alert cannot know it).
    for (const page of pages.slice(0, -1)) expect(page.alerts).toHaveLength(4);
    expect(pages.flatMap((page) => page.alerts.map((alert) => alert.key))).toEqual(expected);
  });
});
