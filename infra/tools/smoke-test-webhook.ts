import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import type { DynamoTestSubscriptions } from '#shared/adapters/dynamodb/dynamo-test-subscriptions.ts';
import { TEST_WEBHOOK_ALGORITHM, TEST_WEBHOOK_ISSUER } from '#shared/adapters/entra/test-webhook-authenticator.ts';
import type { Subscription } from '#shared/domain/subscription.ts';
import { TEST_SUBSCRIPTION_PREFIX } from '#shared/domain/test-subscriptions.ts';

/** How long a smoke run's test key is accepted: the run takes seconds; the key is deleted when it ends anyway. */
const TEST_KEY_LIFETIME_MS = 10 * 60_000;

/**
 * What the `test webhook` check needs beyond the API: the stack's table, written with the operator's own rights (as
 * the temporary API key is), and whether the stack accepts test webhooks (`smokeTestWebhooks`).
 */
export interface TestWebhookTarget {
  /** `on`: a signed test webhook must be applied; `off`: it must be refused. */
  readonly mode: 'on' | 'off';
  /** The publisher app id: the audience the webhook checks. */
  readonly appId: string;
  /** Creates the test subscription (the subscription store's `createIfAbsent`). */
  readonly createSubscription: (subscription: Subscription) => Promise<unknown>;
  readonly testSubscriptions: Pick<DynamoTestSubscriptions, 'putWebhookKey' | 'deleteAll'>;
}

/** The calls the check makes to the API under test (`SmokeHttp` of smoke-checks.ts). */
export interface TestWebhookHttp {
  raw(
    method: string,
    path: string,
    request: { apiKey?: string; body?: string; headers?: Record<string, string> },
  ): Promise<Response>;
  json(method: string, path: string, request: { apiKey?: string }): Promise<{ status: number; body: unknown }>;
}

type Outcome = { status: 'ok' | 'fail'; detail: string };

/**
 * The `test webhook` check (docs/security.md "Test webhooks"). It makes a test subscription of its own
 * (`smoke-test-<uuid>`, Subscribed, one seat) and a key pair whose public half it registers for that subscription
 * only, for ten minutes; the private half never leaves this process. Then:
 * - with test webhooks on: a token signed with that key but a payload about another (GUID) subscription gets 401;
 *   a ChangeQuantity to 2 and an Unsubscribe, both Succeeded, get 200 `applied`, and the API reads them back;
 * - with them off: a correctly signed ChangeQuantity for the test subscription gets 401.
 * Whatever happens, everything stored under the test subscription (its key, operations, audit entries) is deleted.
 */
export async function checkTestWebhook(
  http: TestWebhookHttp,
  apiKey: string,
  target: TestWebhookTarget,
  now: () => Date,
): Promise<Outcome> {
  const subscriptionId = `${TEST_SUBSCRIPTION_PREFIX}${randomUUID()}`;
  const { privateKey, publicKey } = await generateKeyPair(TEST_WEBHOOK_ALGORITHM, { extractable: true });
  try {
    await target.testSubscriptions.putWebhookKey(
      subscriptionId,
      await exportJWK(publicKey),
      new Date(now().getTime() + TEST_KEY_LIFETIME_MS),
    );
    const send = async (payload: { subscriptionId: string; action: string; quantity?: number }) => {
      const token = await new SignJWT({})
        .setProtectedHeader({ alg: TEST_WEBHOOK_ALGORITHM })
        .setIssuer(TEST_WEBHOOK_ISSUER)
        .setSubject(subscriptionId)
        .setAudience(target.appId)
        .setIssuedAt(now())
        .setExpirationTime(new Date(now().getTime() + 120_000))
        .sign(privateKey);
      const response = await http.raw('POST', '/webhook', {
        headers: { authorization: `Bearer ${token}` },
        body: JSON.stringify({
          id: randomUUID(),
          activityId: randomUUID(),
          offerId: 'smoke-test',
          timeStamp: now().toISOString(),
          status: 'Succeeded',
          ...payload,
        }),
      });
      const text = await response.text();
      return { status: response.status, outcome: outcomeOf(text), text };
    };

    if (target.mode === 'off') {
      const refused = await send({ subscriptionId, action: 'ChangeQuantity', quantity: 2 });
      return refused.status === 401
        ? { status: 'ok', detail: 'test webhooks off: a correctly signed test webhook is refused (401)' }
        : {
            status: 'fail',
            detail:
              `answered ${refused.status} to a test webhook while the stack says test webhooks are off: ` +
              'the webhook accepts test tokens. Do not go live; redeploy without -c smokeTestWebhooks',
          };
    }

    const plan = await aPlan(http, apiKey);
    await target.createSubscription(testSubscription(subscriptionId, plan, now()));
    const elsewhere = await send({
      subscriptionId: '00000000-0000-4000-8000-000000000000',
      action: 'Unsubscribe',
    });
    if (elsewhere.status !== 401) {
      return {
        status: 'fail',
        detail:
          `answered ${elsewhere.status} to a test webhook about a non-test subscription, expected 401: a test key ` +
          'could touch real subscriptions. Do not go live; redeploy without -c smokeTestWebhooks',
      };
    }
    const changed = await send({ subscriptionId, action: 'ChangeQuantity', quantity: 2 });
    if (changed.status !== 200 || changed.outcome !== 'applied') {
      return { status: 'fail', detail: `ChangeQuantity answered ${changed.status} ${summarize(changed.text)}` };
    }
    const afterChange = await readSubscription(http, apiKey, subscriptionId);
    if (afterChange.quantity !== 2) {
      return {
        status: 'fail',
        detail: `ChangeQuantity answered applied, but the API shows quantity ${afterChange.quantity}`,
      };
    }
    const cancelled = await send({ subscriptionId, action: 'Unsubscribe' });
    if (cancelled.status !== 200 || cancelled.outcome !== 'applied') {
      return { status: 'fail', detail: `Unsubscribe answered ${cancelled.status} ${summarize(cancelled.text)}` };
    }
    const afterCancel = await readSubscription(http, apiKey, subscriptionId);
    if (afterCancel.status !== 'Unsubscribed') {
      return { status: 'fail', detail: `Unsubscribe answered applied, but the API shows ${afterCancel.status}` };
    }
    return {
      status: 'ok',
      detail: 'signed ChangeQuantity and Unsubscribe applied to a test subscription and read back; 401 for a real one',
    };
  } finally {
    await target.testSubscriptions.deleteAll(subscriptionId);
  }
}

/** A test subscription on a plan of the stack's catalog, so the API reads it like any other. */
function testSubscription(id: string, plan: { offerId: string; planId: string }, at: Date): Subscription {
  const party = { tenantId: '00000000-0000-4000-8000-00000000000f', emailId: 'smoke@test.invalid' };
  return {
    id,
    name: 'npm run smoke',
    offerId: plan.offerId,
    planId: plan.planId,
    status: 'Subscribed',
    quantity: 1,
    isFreeTrial: false,
    beneficiary: party,
    purchaser: party,
    timeline: [{ from: at.toISOString(), status: 'Subscribed', planId: plan.planId, quantity: 1 }],
  };
}

async function aPlan(http: TestWebhookHttp, apiKey: string): Promise<{ offerId: string; planId: string }> {
  const { status, body } = await http.json('GET', '/v1/catalog', { apiKey });
  const offer = (body as { offers?: { id: string; plans: { id: string }[] }[] }).offers?.find(
    (candidate) => candidate.plans.length > 0,
  );
  const planId = offer?.plans[0]?.id;
  if (status !== 200 || !offer || !planId) {
    throw new Error(`the catalog (GET /v1/catalog answered ${status}) has no plan to make a test subscription on`);
  }
  return { offerId: offer.id, planId };
}

async function readSubscription(http: TestWebhookHttp, apiKey: string, id: string) {
  const { status, body } = await http.json('GET', `/v1/subscriptions/${encodeURIComponent(id)}`, { apiKey });
  if (status !== 200)
    throw new Error(`reading the test subscription answered ${status} (${summarize(JSON.stringify(body))})`);
  return body as { status?: string; quantity?: number };
}

function outcomeOf(text: string): string | undefined {
  try {
    return (JSON.parse(text) as { outcome?: string }).outcome;
  } catch {
    return undefined;
  }
}

function summarize(text: string): string {
  return text.length > 160 ? `${text.slice(0, 160)}…` : text;
}
