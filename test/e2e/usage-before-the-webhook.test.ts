import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalSystem, startLocalSystem } from '#infra/local/local-system.ts';
import { MAIN_TABLE } from '#infra/resources.ts';
import { DynamoReportingLedger } from '#shared/adapters/dynamodb/dynamo-reporting-ledger.ts';
import { emulatorMarketplace } from '#test/helpers/emulator-client.ts';
import { aPurchaseInput, eventually } from '#test/helpers/fulfillment-flow.ts';
import { localClients, localEndpoints } from '#test/helpers/local-aws.ts';

const HOUR = 3_600_000;
/** Nothing listens here: a webhook sent to it never reaches us (a lost or late webhook). */
const UNREACHABLE_WEBHOOK = 'http://127.0.0.1:9/webhook';

/**
 * Issue 11 item 2, end to end in the local system (every function behind its HTTP server, the usage queue polled into
 * the aggregator, the marketplace emulator as Microsoft): a subscription Subscribed at Microsoft that our store has
 * never heard of (no webhook reached us, nobody opened the landing page) sends usage at once. The usage is accepted
 * (checked with Get Subscription by the ingest function), aggregated, and its overage reported to the emulator's
 * Metering API once the hour has closed.
 */
describe('usage of a subscription before its webhook or landing visit reached us', () => {
  let system: LocalSystem;
  let workDir: string;
  let publisherKey: string;

  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'usage-before-webhook-'));
    system = await startLocalSystem({
      endpoints: localEndpoints(),
      prefix: `u${randomUUID().slice(0, 8)}`,
      apiPort: 0,
      localDir: workDir,
      bootstrapKeyFile: join(workDir, 'bootstrap-key'),
    });
    publisherKey = (await readFile(join(workDir, 'bootstrap-key'), 'utf8')).trim();
  }, 60_000);
  afterAll(async () => {
    await system?.stop();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  /**
   * Posts 150 api-calls for the subscription, waits for the aggregator, and moves the local clock past the hour's close
   * and the reporting grace: the scheduled reporter runs at once.
   */
  async function useAndReport(subscriptionId: string, planId: string) {
    const { control } = system.emulator;
    const usedAt = system.clock.now();
    const response = await fetch(`${system.apiUrl}/v1/usage`, {
      method: 'POST',
      headers: { authorization: `Bearer ${publisherKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        events: [{ subscriptionId, dimension: 'api-calls', quantity: 150, timestamp: usedAt.toISOString(), id: 'u1' }],
      }),
    });
    expect(response.status).toBe(202);
    expect(await response.json()).toMatchObject({ accepted: 1, rejected: 0 });
    const table = system.resources[MAIN_TABLE.envVar] ?? '';
    const { documentClient } = localClients();
    const reporting = new DynamoReportingLedger(documentClient, table, system.clock);
    const hour = new Date(Math.floor(usedAt.getTime() / HOUR) * HOUR);
    const slots = await eventually(async () => {
      const found = await reporting.readSlots(subscriptionId, 'api-calls', hour, new Date(hour.getTime() + HOUR));
      return found.length > 0 && found;
    });
    expect(slots.map((slot) => slot.quantity.toString())).toEqual(['150']);
    const moved = await system.clock.move(new Date(hour.getTime() + HOUR + 11 * 60_000));
    expect(moved.ran).toContainEqual(expect.objectContaining({ schedule: 'UsageReport', ok: true }));
    // 100 api-calls are included per term on both plans: the overage of 50 is billed, once, on the plan bought.
    expect(control.usageLedger().filter((event) => event.resourceId === subscriptionId)).toEqual([
      expect.objectContaining({
        dimension: 'api-calls',
        quantity: 50,
        planId,
        effectiveStartTime: expect.stringMatching(new RegExp(`^${hour.toISOString().slice(0, 13)}`)),
      }),
    ]);
  }

  it('counts and reports usage sent right after an auto-activated purchase whose Subscribe webhook was dropped', async () => {
    const { control } = system.emulator;
    control.setFaults({ match: 'webhook:Subscribe', dropRate: 1 });
    const bought = await control.purchase(aPurchaseInput({ planId: 'instant', quantity: undefined }));
    await new Promise((resolve) => setTimeout(resolve, 10)); // usage stamped after the purchase instant

    await useAndReport(bought.subscriptionId, 'instant');

    expect(
      control.webhookDeliveries().filter((delivery) => delivery.payload.subscriptionId === bought.subscriptionId),
    ).toEqual([expect.objectContaining({ action: 'Subscribe', error: expect.stringContaining('dropped') })]);
    control.setFaults([]);
  }, 60_000);

  it('accepts, aggregates and reports the usage of a subscription only Microsoft knows', async () => {
    const { control } = system.emulator;
    control.setWebhookUrl(UNREACHABLE_WEBHOOK);
    // Bought and activated at Microsoft without our landing page: Microsoft sends no webhook for either.
    const bought = await control.purchase(aPurchaseInput({ planId: 'basic', quantity: undefined }));
    await emulatorMarketplace(system.emulator).activate(bought.subscriptionId, { planId: 'basic' });
    const subscriptionId = bought.subscriptionId;
    await new Promise((resolve) => setTimeout(resolve, 10)); // usage stamped after the activation instant
    await useAndReport(subscriptionId, 'basic');
    expect(control.webhookDeliveries().every((delivery) => delivery.status === undefined)).toBe(true);
  }, 60_000);
});
