/**
 * Webhook delivery as Microsoft does it (reference §2): a JSON POST of the §2.2 payload to the publisher's connection
 * webhook with `Authorization: Bearer <JWT>`, a token signed RS256 by the (fake) Entra key whose claims are those of
 * §2.3: `aud` = publisher app id, `tid` = publisher tenant, `azp` = the marketplace app
 * `20e940b3-4c77-4b0b-9a53-9e16a1b010a7`, v2 issuer, `ver` 2.0, one-hour lifetime.
 *
 * Redelivery (§2.1: "500 retries over 8 hours"; any answer but 200, or no answer in time, triggers the retry policy,
 * §6.5): attempt n+1 comes `min(initialDelayMs · 2^(n-1), maxDelayMs)` after attempt n on the emulator clock, at most
 * `maxAttempts` attempts. Defaults: 15 s doubling up to 30 min, 20 attempts, which spreads over about 6.5 h; the
 * emulator does not make 500 attempts so an inspection log stays readable.
 *
 * Faults (`faults.ts`, rules on `'webhooks'` or `'webhook:<action>'`): a dropped webhook is never sent nor
 * redelivered; a delayed one is first attempted that much later on the emulator clock.
 *
 * Rejection (§2.1 table): for a ChangePlan/ChangeQuantity still InProgress, a 4xx answer rejects the change like a
 * PATCH Failure would, and is not retried.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { EmulatorClock } from './clock.ts';
import { MARKETPLACE_RESOURCE_ID } from './entra.ts';
import type { FaultInjector } from './faults.ts';
import {
  type EmulatorState,
  iso,
  type OperationRecord,
  type SubscriptionRecord,
  subscriptionJson,
  type WebhookDelivery,
} from './state.ts';

export interface WebhookRetryPolicy {
  /** Attempts in all, the first included. Default 20. */
  readonly maxAttempts?: number;
  /** Delay before the second attempt. Default 15 000 ms. */
  readonly initialDelayMs?: number;
  /** Ceiling of the doubling delay. Default 1 800 000 ms (30 min). */
  readonly maxDelayMs?: number;
  /** Real-time limit for the publisher's answer; beyond it the attempt counts as failed. Default 10 000 ms. */
  readonly timeoutMs?: number;
}

export interface WebhookSenderDeps {
  readonly state: EmulatorState;
  readonly clock: EmulatorClock;
  readonly sign: (claims: Record<string, unknown>) => Promise<string>;
  readonly issuer: string;
  readonly publisher: { readonly tenantId: string; readonly clientId: string };
  readonly retry: WebhookRetryPolicy;
  /** Called when the publisher rejects an InProgress change with a 4xx answer. */
  readonly onRejected: (operationId: string, httpStatus: number) => void;
  readonly log: (line: string) => void;
  /** Webhook faults (drop, delay); none when absent. */
  readonly faults?: FaultInjector;
}

/** Object id of the marketplace's service principal in the publisher's tenant (the webhook token's `oid`/`sub`). */
const MARKETPLACE_SERVICE_PRINCIPAL = randomUUID();

export class WebhookSender {
  private url: string | undefined;
  private readonly maxAttempts: number;
  private readonly initialDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly timeoutMs: number;

  constructor(
    private readonly deps: WebhookSenderDeps,
    url: string | undefined,
  ) {
    this.url = url;
    this.maxAttempts = deps.retry.maxAttempts ?? 20;
    this.initialDelayMs = deps.retry.initialDelayMs ?? 15_000;
    this.maxDelayMs = deps.retry.maxDelayMs ?? 1_800_000;
    this.timeoutMs = deps.retry.timeoutMs ?? 10_000;
  }

  get webhookUrl(): string | undefined {
    return this.url;
  }

  setUrl(url: string | undefined): void {
    this.url = url;
  }

  /** The §2.2 payload for an operation, with the subscription as it is now. */
  payloadOf(operation: OperationRecord, subscription: SubscriptionRecord): Record<string, unknown> {
    return {
      id: operation.id,
      activityId: operation.activityId,
      publisherId: operation.publisherId,
      offerId: operation.offerId,
      planId: operation.planId,
      quantity: operation.quantity ?? null,
      subscriptionId: operation.subscriptionId,
      timeStamp: iso(operation.timeStamp),
      action: operation.action,
      status: operation.status,
      operationRequestSource: operation.source,
      subscription: subscriptionJson(subscription),
      purchaseToken: null,
    };
  }

  /**
   * Delivers the webhook of `operation` now (first attempt awaited) and schedules redelivery on failure. An injected
   * fault may drop it (recorded, never sent) or delay its first attempt on the emulator clock (not awaited then).
   */
  async send(operation: OperationRecord, subscription: SubscriptionRecord): Promise<void> {
    const payload = this.payloadOf(operation, subscription);
    const fault = this.deps.faults?.decideWebhook(operation.action) ?? { drop: false, delayMs: 0 };
    if (fault.drop) {
      this.deps.state.deliveries.push({
        operationId: operation.id,
        action: operation.action,
        attempt: 1,
        at: iso(this.deps.clock.now()),
        url: this.url ?? '',
        payload,
        token: '',
        status: undefined,
        error: 'dropped by fault injection',
      });
      return;
    }
    if (fault.delayMs > 0) {
      this.deps.clock.schedule(this.deps.clock.nowMs() + fault.delayMs, () => this.attempt(operation, payload, 1));
      return;
    }
    await this.attempt(operation, payload, 1);
  }

  /** The §2.3 token: a fresh one per attempt, so its iat/exp follow the emulator clock. */
  token(): Promise<string> {
    const { publisher } = this.deps;
    return this.deps.sign({
      aud: publisher.clientId,
      iss: this.deps.issuer,
      aio: randomBytes(24).toString('base64url'),
      azp: MARKETPLACE_RESOURCE_ID,
      azpacr: '2',
      oid: MARKETPLACE_SERVICE_PRINCIPAL,
      rh: `0.${randomBytes(12).toString('base64url')}.`,
      sub: MARKETPLACE_SERVICE_PRINCIPAL,
      tid: publisher.tenantId,
      uti: randomBytes(16).toString('base64url'),
      ver: '2.0',
    });
  }

  private async attempt(operation: OperationRecord, payload: Record<string, unknown>, attempt: number): Promise<void> {
    const { state, clock } = this.deps;
    const url = this.url;
    const token = await this.token();
    const at = iso(clock.now());
    let status: number | undefined;
    let error: string | undefined;
    if (url === undefined) {
      error = 'no webhook URL set';
    } else {
      // While this call waits for its answer, a PATCH of the operation is out of order (operations.ts records it).
      state.webhooksInFlight.set(operation.id, (state.webhooksInFlight.get(operation.id) ?? 0) + 1);
      try {
        const response = await fetch(url, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify(payload),
          signal: AbortSignal.timeout(this.timeoutMs),
        });
        status = response.status;
        await response.arrayBuffer().catch(() => undefined);
      } catch (cause) {
        error = (cause as Error).name === 'TimeoutError' ? `no answer within ${this.timeoutMs} ms` : String(cause);
      } finally {
        const inFlight = (state.webhooksInFlight.get(operation.id) ?? 1) - 1;
        if (inFlight > 0) state.webhooksInFlight.set(operation.id, inFlight);
        else state.webhooksInFlight.delete(operation.id);
      }
    }
    const delivery: WebhookDelivery = {
      operationId: operation.id,
      action: operation.action,
      attempt,
      at,
      url: url ?? '',
      payload,
      token,
      status,
      error,
    };
    state.deliveries.push(delivery);
    if (status === 200) return;
    const isChange = operation.action === 'ChangePlan' || operation.action === 'ChangeQuantity';
    if (
      isChange &&
      status !== undefined &&
      status >= 400 &&
      status < 500 &&
      payload.status === 'InProgress' &&
      operation.status === 'InProgress'
    ) {
      this.deps.onRejected(operation.id, status);
      return;
    }
    if (attempt >= this.maxAttempts) {
      this.deps.log(`webhook ${operation.action} ${operation.id}: gave up after ${attempt} attempts`);
      return;
    }
    const delay = Math.min(this.initialDelayMs * 2 ** (attempt - 1), this.maxDelayMs);
    clock.schedule(clock.nowMs() + delay, () => this.attempt(operation, payload, attempt + 1));
  }
}
