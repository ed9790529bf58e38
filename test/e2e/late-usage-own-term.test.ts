import { DeleteMessageCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseUsageMessage } from '#functions/usage-aggregator/schema.ts';
import { type MarketplaceEmulator, startMarketplaceEmulator } from '#infra/local/emulator/index.ts';
import { MAIN_TABLE, USAGE_QUEUE } from '#infra/resources.ts';
import { DynamoReportingLedger } from '#shared/adapters/dynamodb/dynamo-reporting-ledger.ts';
import { DynamoSubscriptionStore } from '#shared/adapters/dynamodb/dynamo-subscription-store.ts';
import { DynamoUsageLedger } from '#shared/adapters/dynamodb/dynamo-usage-ledger.ts';
import type { HttpMarketplace } from '#shared/adapters/marketplace/http-marketplace.ts';
import { SqsUsageQueue } from '#shared/adapters/sqs/sqs-usage-queue.ts';
import { invoicePreview } from '#shared/domain/charges.ts';
import { Dec } from '#shared/domain/money.ts';
import { planHistoryOf } from '#shared/domain/plan-history.ts';
import { applyUsageMessage } from '#shared/use-cases/metering/apply-usage-messages.ts';
import { ingestUsage } from '#shared/use-cases/metering/ingest-usage.ts';
import { type ReportUsageDeps, reportUsage } from '#shared/use-cases/metering/report-usage.ts';
import type { Clock } from '#shared/use-cases/ports/clock.ts';
import { aCatalog } from '#test/builders/catalog.ts';
import { RecordingMeteringAlerts } from '#test/builders/reporting.ts';
import { aPublisher } from '#test/builders/subscription.ts';
import { emulatorMarketplace } from '#test/helpers/emulator-client.ts';
import { subscriptionFromEmulator } from '#test/helpers/emulator-subscription.ts';
import { localClients, provisionIsolatedResources } from '#test/helpers/local-aws.ts';

/**
 * Issue 12 item 3, the hand-computed case, through the real pipeline: ingest → SQS (fauxqs) → the aggregator use case
 * → DynamoDB Local → the reporter use case → the marketplace emulator's Metering API. Plan `basic`: 1,000 api-calls
 * included per monthly term; activated 2026-01-06, so term 1 is Jan 6 – Feb 5 and term 2 starts Feb 6 00:00 UTC.
 *
 * - 1,100 stamped Feb 5 22:10 → the 22:00 hour is reported with 100 overage.
 * - 500 stamped Feb 6 01:10 (term 2, on time) → included.
 * - 30 more stamped Feb 5 22:40 arrive at 02:20 on Feb 6 (late, after the anniversary). They are term 1's usage:
 *   term 1 already used its 1,000, so all 30 are overage, reported on top of the next event (Feb 6 02:00), and term
 *   2's allowance is untouched (500 used, not 530).
 *
 * Microsoft is billed 130 for term 1 and nothing for term 2: exactly the charges engine's invoicePreview, term by term.
 */
const ACTIVATED = new Date('2026-01-06T10:00:00.000Z');
const TERM_1 = { from: new Date('2026-01-06T00:00:00.000Z'), to: new Date('2026-02-06T00:00:00.000Z') };
const TERM_2 = { from: new Date('2026-02-06T00:00:00.000Z'), to: new Date('2026-03-06T00:00:00.000Z') };
const TENANT = '0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f';

describe('late usage after a term anniversary', () => {
  const { documentClient, sqs } = localClients();
  const catalog = aCatalog();
  let emulator: MarketplaceEmulator;
  let http: HttpMarketplace;
  let queueUrl: string;
  let usageLedger: DynamoUsageLedger;
  let reporting: DynamoReportingLedger;
  let store: DynamoSubscriptionStore;
  const clock: Clock = { now: () => emulator.control.now() };

  beforeAll(async () => {
    const env = await provisionIsolatedResources();
    const table = env[MAIN_TABLE.envVar] ?? '';
    queueUrl = env[USAGE_QUEUE.envVar] ?? '';
    usageLedger = new DynamoUsageLedger(documentClient, table, clock);
    reporting = new DynamoReportingLedger(documentClient, table, clock);
    store = new DynamoSubscriptionStore(documentClient, table);
    // Access tokens live one hour of emulator time while the functions' token cache counts them on the real clock: a month of emulated time
    // passes in seconds, so expiry is not checked (the contract tests check it).
    emulator = await startMarketplaceEmulator({
      catalog,
      clock: 'manual',
      startTime: ACTIVATED,
      seed: 12,
      verifyTokenExpiry: false,
    });
    http = emulatorMarketplace(emulator);
  });

  afterAll(async () => {
    await emulator?.stop();
  });

  /** The publisher posts usage at `now` (emulator time); the aggregator applies everything in the queue. */
  async function send(now: string, quantity: string, timestamp: string, subscriptionId: string, id: string) {
    await emulator.control.setTime(new Date(now));
    await store.put(subscriptionFromEmulator(emulator.control, subscriptionId, TENANT));
    const result = await ingestUsage(
      {
        subscriptions: store,
        catalog,
        clock,
        usageQueue: new SqsUsageQueue(sqs, queueUrl),
        countedEntries: usageLedger,
        maxLatenessHours: 168,
      },
      aPublisher(),
      { events: [{ subscriptionId, dimension: 'api-calls', quantity, timestamp, id }] },
    );
    expect(result).toMatchObject({ accepted: 1, rejected: 0 });
    for (let idle = 0; idle < 2; ) {
      const page = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
      );
      const messages = page.Messages ?? [];
      idle = messages.length === 0 ? idle + 1 : 0;
      for (const message of messages) {
        await applyUsageMessage({ ledger: usageLedger }, parseUsageMessage(message.Body ?? ''));
        await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }));
      }
    }
  }

  /** The scheduled reporter at `now` (emulator time). */
  async function report(now: string, deps: ReportUsageDeps) {
    await emulator.control.setTime(new Date(now));
    return reportUsage(deps);
  }

  it('rates the late 30 in term 1, bills them on the next event, and leaves term 2’s allowance alone', async () => {
    const bought = await emulator.control.purchase({
      offerId: 'contoso-analytics',
      planId: 'basic',
      beneficiary: { tenantId: TENANT, emailId: 'user@customer.example' },
      purchaser: { tenantId: TENANT, emailId: 'buyer@customer.example' },
    });
    await http.activate(bought.subscriptionId, { planId: 'basic' });
    const id = bought.subscriptionId;
    const deps: ReportUsageDeps = {
      ledger: reporting,
      subscriptions: store,
      catalog,
      marketplace: http,
      alerts: new RecordingMeteringAlerts(),
      clock,
      graceMinutes: 10,
    };

    await send('2026-02-05T22:59:00.000Z', '1100', '2026-02-05T22:10:00.000Z', id, 'u1');
    await report('2026-02-05T23:11:00.000Z', deps);
    await send('2026-02-06T01:59:00.000Z', '500', '2026-02-06T01:10:00.000Z', id, 'u2');
    await report('2026-02-06T02:11:00.000Z', deps);
    await send('2026-02-06T02:20:00.000Z', '30', '2026-02-05T22:40:00.000Z', id, 'u3');
    const run = await report('2026-02-06T03:11:00.000Z', deps);
    await report('2026-02-06T04:11:00.000Z', deps); // nothing left to send

    // --- what Microsoft (the emulator) received ---
    const billed = emulator.control
      .usageLedger()
      .filter((event) => event.resourceId === id)
      .map((event) => [new Date(event.effectiveStartTime).toISOString(), event.quantity, event.planId]);
    expect(billed).toEqual([
      ['2026-02-05T22:00:00.000Z', 100, 'basic'],
      ['2026-02-06T02:00:00.000Z', 30, 'basic'],
    ]);
    expect(run).toMatchObject({ lateFolds: 1, lateQuantity: '30', carryPlaced: 1 });

    // The 30 are term 1's overage carried onto the next event, not usage rated in term 2.
    const late = await reporting.readSlot({
      subscriptionId: id,
      dimension: 'api-calls',
      hour: '2026-02-05T22:00:00.000Z',
    });
    expect(late?.lateQuantity.toString()).toBe('30');
    const carrier = await reporting.readSlot({
      subscriptionId: id,
      dimension: 'api-calls',
      hour: '2026-02-06T02:00:00.000Z',
    });
    expect(carrier?.submission).toMatchObject({
      state: 'accepted',
      quantity: '30',
      ratedUsage: '0',
      overage: '0',
      carriedOverage: '30',
      termStart: TERM_2.from.toISOString(),
    });
    const meter = await reporting.readMeter(id, 'api-calls');
    expect(meter.tally?.termStart).toEqual(TERM_2.from);
    expect(meter.tally?.usageInTerm.toString()).toBe('500');
    expect(
      meter.terms?.map((term) => [term.termStart.toISOString(), term.segments.map((s) => s.usage.toString())]),
    ).toEqual([
      [TERM_1.from.toISOString(), ['1130']],
      [TERM_2.from.toISOString(), ['500']],
    ]);
    expect(meter.carryOverage.isZero() && meter.carryUsage.isZero()).toBe(true);

    // --- what the charges engine shows, term by term, from the same usage ---
    const subscription = await store.get(id);
    const history = subscription && planHistoryOf(subscription, catalog)?.history;
    if (!history) throw new Error('the subscription has no plan history');
    const usage = [
      { dimensionId: 'api-calls', hour: new Date('2026-02-05T22:00:00.000Z'), quantity: '1100' },
      { dimensionId: 'api-calls', hour: new Date('2026-02-06T01:00:00.000Z'), quantity: '500' },
      { dimensionId: 'api-calls', hour: new Date('2026-02-05T22:00:00.000Z'), quantity: '30' },
    ];
    const overageOf = (window: { from: Date; to: Date }) =>
      invoicePreview({ customer: { subscriptionId: id }, currency: 'USD', history, usage }, window)
        .periods.flatMap((period) => period.lines)
        .filter((line) => line.kind === 'overage')
        .reduce((sum, line) => sum.plus(line.quantity), new Dec(0));
    // Term 1 billed: its own hour's 100 plus the 30 carried from it; term 2 billed nothing.
    const term1Billed = new Dec(100).plus(carrier?.submission?.carriedOverage ?? '0');
    expect(term1Billed.toString()).toBe('130');
    expect(overageOf(TERM_1).toString()).toBe(term1Billed.toString());
    expect(overageOf(TERM_2).toString()).toBe('0');
  });
});
