import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  type Message,
  ReceiveMessageCommand,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseUsageMessage } from '#functions/usage-aggregator/schema.ts';
import { type MarketplaceEmulator, startMarketplaceEmulator } from '#infra/local/emulator/index.ts';
import { MAIN_TABLE, USAGE_QUEUE } from '#infra/resources.ts';
import { DynamoReportingLedger } from '#shared/adapters/dynamodb/dynamo-reporting-ledger.ts';
import { DynamoSubscriptionStore } from '#shared/adapters/dynamodb/dynamo-subscription-store.ts';
import { DynamoUsageLedger } from '#shared/adapters/dynamodb/dynamo-usage-ledger.ts';
import type { HttpMarketplace } from '#shared/adapters/marketplace/http-marketplace.ts';
import { SqsUsageQueue } from '#shared/adapters/sqs/sqs-usage-queue.ts';
import { type PlanInForce, rateUsage } from '#shared/domain/allowance.ts';
import { findPlan } from '#shared/domain/catalog-rules.ts';
import type { UsageEventInput } from '#shared/domain/usage/usage-event.ts';
import { applyUsageMessage } from '#shared/use-cases/metering/apply-usage-messages.ts';
import { flushSubscriptionUsage } from '#shared/use-cases/metering/flush-subscription-usage.ts';
import { ingestUsage } from '#shared/use-cases/metering/ingest-usage.ts';
import { type ReportUsageDeps, reportUsage } from '#shared/use-cases/metering/report-usage.ts';
import type { Clock } from '#shared/use-cases/ports/clock.ts';
import type { Marketplace, UsageEvent } from '#shared/use-cases/ports/marketplace.ts';
import { aMeteringCatalog, OFFER, RecordingMeteringAlerts } from '#test/builders/reporting.ts';
import { aPublisher } from '#test/builders/subscription.ts';
import { emulatorMarketplace } from '#test/helpers/emulator-client.ts';
import { subscriptionFromEmulator } from '#test/helpers/emulator-subscription.ts';
import { localClients, provisionIsolatedResources } from '#test/helpers/local-aws.ts';

/**
 * ACCEPTANCE (issue 5, "Exactly once under faults"): a generated workload of three subscriptions, two metered
 * dimensions and an unlimited one over 30 hours (a term renewal at 2026-02-06 00:00, a plan change, a cancellation
 * with its flush) goes through the real pipeline: the ingest use case with every client request sent twice under the
 * same Idempotency-Key → SQS (fauxqs) → the aggregator use case with duplicated deliveries and crashes after its
 * transaction → DynamoDB Local → the reporter every hour, with crashes after its submissions, against the REAL
 * marketplace emulator (real Entra token from its fake authority) answering 10% of metering calls with 5xx/429 and
 * dropping some answers after applying them. The emulator's clock is the system's clock throughout.
 *
 * At the end the emulator's accepted ledger must equal, slot by slot, the overage computed independently by the
 * allowance engine (`rateUsage`) from the raw events, and every event sent for a slot must be the same event.
 */
const HOUR = 3_600_000;
const ACTIVATED = new Date('2026-01-06T10:00:00.000Z');
/** The workload's first hour: the monthly terms renew at 2026-02-06 00:00, 24 hours in. */
const W0 = Date.parse('2026-02-05T00:00:00.000Z');
const HOURS = 30;
const CHANGE_HOUR = 12;
const CANCEL_HOUR = 20;
const DIMENSIONS = ['api-calls', 'gb-processed', 'reports'] as const;

/** mulberry32: a seeded generator, so a failing workload can be replayed. */
function seeded(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface RawEvent {
  readonly subscriptionId: string;
  readonly dimension: string;
  readonly quantity: string;
  readonly timestamp: string;
  readonly id?: string;
}

describe('metering exactly once under faults', () => {
  const { documentClient, sqs } = localClients();
  const catalog = aMeteringCatalog();
  const random = seeded(20260205);
  let emulator: MarketplaceEmulator;
  let http: HttpMarketplace;
  let queueUrl: string;
  let usageLedger: DynamoUsageLedger;
  let reporting: DynamoReportingLedger;
  let store: DynamoSubscriptionStore;
  const clock: Clock = { now: () => emulator.control.now() };
  const sent: UsageEvent[] = [];
  let crashAfterNextSubmission = false;

  beforeAll(async () => {
    const env = await provisionIsolatedResources();
    const table = env[MAIN_TABLE.envVar] ?? '';
    queueUrl = env[USAGE_QUEUE.envVar] ?? '';
    usageLedger = new DynamoUsageLedger(documentClient, table, clock);
    reporting = new DynamoReportingLedger(documentClient, table, clock);
    store = new DynamoSubscriptionStore(documentClient, table);
    // Access tokens live one hour of emulator time while the functions' token cache counts them on the real clock: the 30 emulated hours
    // pass in seconds, so expiry is not checked (the contract tests check it).
    emulator = await startMarketplaceEmulator({
      catalog,
      clock: 'manual',
      startTime: ACTIVATED,
      seed: 7,
      verifyTokenExpiry: false,
      operationDelayMs: 1_000,
    });
    http = emulatorMarketplace(emulator, {
      // Two attempts per call: some batches still fail as a whole under the injected faults, so the reporter's own
      // resend on the next run is exercised too, not only the client's retries.
      retry: { maxAttempts: 2, totalBudgetMs: 5_000, baseDelayMs: 5, maxDelayMs: 40, attemptTimeoutMs: 3_000 },
    });
  });

  afterAll(async () => {
    await emulator?.stop();
  });

  /** What the fulfillment side keeps in the store: the emulator's status and plan history as a timeline. */
  async function syncSubscription(id: string): Promise<void> {
    const subscription = subscriptionFromEmulator(emulator.control, id, 'tenant-e2e');
    await store.put(subscription);
  }

  /** Applies everything in the usage queue, with duplicated deliveries and crashes after the transaction. */
  async function drainQueue(): Promise<void> {
    for (let idle = 0; idle < 2; ) {
      const page = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 0,
          VisibilityTimeout: 30,
        }),
      );
      const messages = page.Messages ?? [];
      idle = messages.length === 0 ? idle + 1 : 0;
      await Promise.all(messages.map((message) => deliver(message)));
    }
  }

  async function deliver(message: Message): Promise<void> {
    const usage = parseUsageMessage(message.Body ?? '');
    const draw = random();
    await applyUsageMessage({ ledger: usageLedger }, usage);
    if (draw < 0.15) {
      // The aggregator crashed after its transaction: SQS delivers the message again.
      await sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: queueUrl,
          ReceiptHandle: message.ReceiptHandle,
          VisibilityTimeout: 0,
        }),
      );
      return;
    }
    if (draw < 0.3) await applyUsageMessage({ ledger: usageLedger }, usage); // a second delivery of the same message
    await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }));
  }

  it('bills every slot’s overage once, whatever fails on the way', async () => {
    // --- three subscriptions bought and activated on 2026-01-06 (monthly term Jan 6 – Feb 5) ---
    const ids: string[] = [];
    for (let index = 0; index < 3; index++) {
      const bought = await emulator.control.purchase({
        offerId: OFFER,
        planId: 'small',
        beneficiary: {
          tenantId: `0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4${index}`,
          emailId: `user${index}@customer.example`,
        },
        purchaser: {
          tenantId: `0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4${index}`,
          emailId: `buyer${index}@customer.example`,
        },
      });
      await http.activate(bought.subscriptionId, { planId: 'small' });
      ids.push(bought.subscriptionId);
    }
    const [steady, changing, cancelled] = ids as [string, string, string];
    await emulator.control.setTime(new Date(W0));
    for (const id of ids) await syncSubscription(id);
    emulator.control.setFaults(
      [
        {
          match: ['batchUsageEvent'],
          errorRate: 0.05,
          throttleRate: 0.05,
          retryAfterSeconds: 0,
          dropRate: 0.03,
          dropPhase: 'after',
        },
      ],
      11,
    );

    const crashing: Pick<Marketplace, 'postBatchUsageEvents'> = {
      async postBatchUsageEvents(events, options) {
        sent.push(...events);
        const answer = await http.postBatchUsageEvents(events, options);
        if (crashAfterNextSubmission) {
          crashAfterNextSubmission = false;
          throw new Error('the reporter crashed after its submission');
        }
        return answer;
      },
    };
    const deps: ReportUsageDeps = {
      ledger: reporting,
      subscriptions: store,
      catalog,
      marketplace: crashing,
      alerts: new RecordingMeteringAlerts(),
      clock,
      graceMinutes: 10,
    };
    const ingestDeps = {
      subscriptions: store,
      catalog,
      clock,
      usageQueue: new SqsUsageQueue(sqs, queueUrl),
      countedEntries: usageLedger,
      maxLatenessHours: 168,
    };

    const raw: RawEvent[] = [];
    for (let hour = 0; hour < HOURS; hour++) {
      const hourStart = W0 + hour * HOUR;
      if (hour === CHANGE_HOUR) {
        await emulator.control.setTime(new Date(hourStart + 20 * 60_000));
        await http.changePlan(changing, 'large');
        await emulator.control.advance(2_000); // the publisher-initiated change completes after 1 s
        await syncSubscription(changing);
      }
      // --- the publisher's app posts the hour's usage; each request is retried once with the same key ---
      await emulator.control.setTime(new Date(hourStart + 59 * 60_000));
      const live = hour <= CANCEL_HOUR ? ids : [steady, changing];
      await Promise.all(
        live.map(async (subscriptionId) => {
          const events: UsageEventInput[] = [];
          for (const dimension of DIMENSIONS) {
            if (random() < 0.35) continue;
            for (let count = 1 + Math.floor(random() * 3); count > 0; count--) {
              const quantity = String(1 + Math.floor(random() * 8) + (random() < 0.5 ? 0.25 : 0));
              const timestamp = new Date(hourStart + Math.floor(random() * 58 * 60_000)).toISOString();
              const id = `${subscriptionId}-${hour}-${dimension}-${count}`;
              events.push({ subscriptionId, dimension, quantity, timestamp, id });
            }
          }
          if (events.length === 0) return;
          const request = { events, idempotencyKey: `${subscriptionId}-${hour}` };
          const first = await ingestUsage(ingestDeps, aPublisher(), request);
          const retry = await ingestUsage(ingestDeps, aPublisher(), request);
          expect(first.rejected).toBe(0);
          expect(retry.markers).toEqual(first.markers);
          raw.push(...events.map((event) => ({ ...event, quantity: String(event.quantity) })));
        }),
      );
      await drainQueue();

      if (hour === CANCEL_HOUR) {
        // --- the customer cancels; the webhook's flush reports the subscription's hours at once ---
        await emulator.control.unsubscribe(cancelled);
        await syncSubscription(cancelled);
        await flushSubscriptionUsage(deps, { subscriptionId: cancelled, until: clock.now() });
      }

      // --- the scheduled reporter, after the hour closed and the grace passed ---
      await emulator.control.setTime(new Date(hourStart + HOUR + 11 * 60_000));
      if (hour === 24) await syncSubscription(steady); // renewed at 2026-02-06 00:00: the term moved
      crashAfterNextSubmission = random() < 0.3;
      await reportUsage(deps);
    }
    // Later runs resend whatever was left pending by a crash or by the injected faults.
    for (let extra = 1; extra <= 3; extra++) {
      await emulator.control.setTime(new Date(W0 + (HOURS + extra) * HOUR + 11 * 60_000));
      await reportUsage(deps);
    }

    // --- the expected bill, computed independently from the raw events ---
    const expected = new Map<string, { quantity: number; planId: string }>();
    for (const subscriptionId of ids) {
      const view = emulator.control.subscription(subscriptionId);
      const history: PlanInForce[] = (view?.planHistory ?? []).map((entry, index) => {
        const plan = findPlan(catalog, OFFER, entry.planId);
        // The plan bought at purchase takes effect at activation.
        const from = index === 0 ? ACTIVATED : new Date(entry.at);
        return {
          from,
          plan,
          billingTerm: plan.billingTerms[0] as PlanInForce['billingTerm'],
          termAnchor: new Date('2026-01-06T00:00:00Z'),
        };
      });
      const { hours } = rateUsage(
        history,
        raw
          .filter((event) => event.subscriptionId === subscriptionId)
          .map((event) => ({
            dimensionId: event.dimension,
            hour: new Date(Math.floor(Date.parse(event.timestamp) / HOUR) * HOUR),
            quantity: event.quantity,
          })),
      );
      for (const rated of hours) {
        if (rated.overage.isZero()) continue;
        expected.set(`${subscriptionId}|${rated.dimensionId}|${rated.hour.toISOString()}`, {
          quantity: Number(rated.overage.toString()),
          planId: rated.planId,
        });
      }
    }

    // --- what Microsoft (the emulator) billed ---
    const ledger = emulator.control.usageLedger();
    const billed = new Map(
      ledger.map((event) => [
        `${event.resourceId}|${event.dimension}|${new Date(event.effectiveStartTime).toISOString()}`,
        { quantity: event.quantity, planId: event.planId },
      ]),
    );
    expect(billed.size).toBe(ledger.length); // one accepted event per slot
    expect(billed).toEqual(expected);
    expect(expected.size).toBeGreaterThan(40);
    // The plan change and the renewal are inside the workload: both plans billed, and hours on both sides of the
    // renewal fully covered by the fresh allowance for the steady subscription's first hours of the new term.
    expect(new Set([...billed.values()].map((event) => event.planId))).toEqual(new Set(['small', 'large']));
    expect(
      raw.some((event) => event.subscriptionId === cancelled && Date.parse(event.timestamp) >= W0 + CANCEL_HOUR * HOUR),
    ).toBe(true);

    // Every resend of a slot was the same event: no slot was ever sent with two quantities.
    const versions = new Map<string, Set<string>>();
    for (const event of sent) {
      const key = `${event.resourceId}|${event.dimension}|${event.effectiveStartTime}`;
      versions.set(key, (versions.get(key) ?? new Set()).add(JSON.stringify(event)));
    }
    expect([...versions.values()].every((set) => set.size === 1)).toBe(true);
    expect(sent.length).toBeGreaterThan(billed.size); // resends happened (crashes, faults)
    // Nothing is left unreported, and our ledger agrees: every slot with overage is recorded accepted, the rest included.
    expect(await reporting.findUnreported(new Date(W0 + (HOURS + 3) * HOUR))).toEqual([]);
    const states = new Map<string, number>();
    for (const subscriptionId of ids) {
      for (const dimension of DIMENSIONS) {
        const slots = await reporting.readSlots(subscriptionId, dimension, new Date(W0), new Date(W0 + HOURS * HOUR));
        for (const slot of slots) {
          const state = slot.submission?.state ?? 'none';
          states.set(state, (states.get(state) ?? 0) + 1);
          expect(slot.accountedQuantity.equals(slot.quantity)).toBe(true);
        }
      }
    }
    expect([...states.keys()].sort()).toEqual(['accepted', 'included']);
    expect(states.get('accepted')).toBe(billed.size);
  }, 120_000);
});
