import { fileURLToPath } from 'node:url';
import { beforeEach, describe, expect, it } from 'vitest';
import { loadCatalog } from '#shared/adapters/catalog/catalog-file.ts';
import { ForbiddenError, ServiceUnavailableError } from '#shared/domain/errors.ts';
import type { Subscription } from '#shared/domain/subscription.ts';
import { transactionItemCount } from '#shared/domain/usage/transaction-packing.ts';
import type { UsageEventInput } from '#shared/domain/usage/usage-event.ts';
import { InvalidUsageMessageError, usageMessageSchema } from '#shared/domain/usage/usage-message.ts';
import { applyUsageMessage, applyUsageMessages } from '#shared/use-cases/metering/apply-usage-messages.ts';
import { eventIdEntry } from '#shared/use-cases/metering/event-id-entry.ts';
import { type IngestUsageDeps, ingestUsage } from '#shared/use-cases/metering/ingest-usage.ts';
import type { SubscriptionStore } from '#shared/use-cases/ports/subscription-store.ts';
import { aCatalog } from '#test/builders/catalog.ts';
import { aCustomer, aPartner, aPublisher, aSubscription } from '#test/builders/subscription.ts';
import { aSlot, aUsageEvent, aUsageMessage } from '#test/builders/usage.ts';
import { FixedClock } from '#test/helpers/fixed-clock.ts';
import { InMemoryUsageLedger } from '#test/helpers/in-memory-usage-ledger.ts';
import { InMemoryUsageQueue } from '#test/helpers/in-memory-usage-queue.ts';

class CountingSubscriptionStore implements Pick<SubscriptionStore, 'get'> {
  readonly reads: string[] = [];
  constructor(private readonly subscriptions: readonly Subscription[]) {}
  async get(id: string) {
    this.reads.push(id);
    return this.subscriptions.find((subscription) => subscription.id === id);
  }
}

describe('ingesting usage', () => {
  let queue: InMemoryUsageQueue;
  let subscriptions: CountingSubscriptionStore;
  let deps: IngestUsageDeps;
  let counted: InMemoryUsageLedger;
  const events = (count: number, overrides: Partial<UsageEventInput> = {}) =>
    Array.from({ length: count }, (_, index) => aUsageEvent({ quantity: '0.1', id: `e${index}`, ...overrides }));

  beforeEach(() => {
    queue = new InMemoryUsageQueue();
    subscriptions = new CountingSubscriptionStore([
      aSubscription({ id: 'sub-1' }),
      aSubscription({ id: 'sub-2', status: 'Suspended' }),
      aSubscription({ id: 'sub-3' }),
    ]);
    counted = new InMemoryUsageLedger();
    deps = {
      subscriptions,
      catalog: aCatalog(),
      clock: new FixedClock(),
      usageQueue: queue,
      countedEntries: counted,
      maxLatenessHours: 168,
    };
  });

  it('queues the accepted events summed per subscription, dimension and hour, and answers per event', async () => {
    const result = await ingestUsage(deps, aPublisher(), {
      events: [
        aUsageEvent({ quantity: 0.1, id: 'a' }),
        aUsageEvent({ quantity: '0.2', id: 'b', timestamp: '2026-01-15T09:59:59.999Z' }),
        aUsageEvent({ quantity: 1, id: 'c', timestamp: '2026-01-15T08:00:00Z' }),
      ],
    });

    expect(result).toMatchObject({ accepted: 3, rejected: 0 });
    expect(result.results).toEqual([
      { index: 0, id: 'a', status: 'accepted' },
      { index: 1, id: 'b', status: 'accepted' },
      { index: 2, id: 'c', status: 'accepted' },
    ]);
    expect(queue.sent).toHaveLength(1);
    expect(queue.sent[0]?.slots).toEqual([
      aSlot({ hour: '2026-01-15T08:00:00.000Z', quantity: '1', eventCount: 1, ids: [[eventIdEntry('c'), '1']] }),
      aSlot({
        hour: '2026-01-15T09:00:00.000Z',
        quantity: '0.3',
        eventCount: 2,
        ids: [
          [eventIdEntry('a'), '0.1'],
          [eventIdEntry('b'), '0.2'],
        ],
      }),
    ]);
    expect(result.markers).toEqual([queue.sent[0]?.marker]);
  });

  describe('event ids counted before', () => {
    it('answers duplicate for an id its subscription and hour counted before, and counts only the new events', async () => {
      await ingestUsage(deps, aPublisher(), { events: events(3) });
      await applyUsageMessages({ ledger: counted }, queue.sent);
      queue.sent.length = 0;

      const retry = await ingestUsage(deps, aPublisher(), { events: [...events(4), aUsageEvent({ quantity: 5 })] });
      await applyUsageMessages({ ledger: counted }, queue.sent);

      expect(retry).toMatchObject({ accepted: 2, rejected: 0, duplicate: 3 });
      expect(retry.results.map((r) => [r.id, r.status])).toEqual([
        ['e0', 'duplicate'],
        ['e1', 'duplicate'],
        ['e2', 'duplicate'],
        ['e3', 'accepted'],
        [undefined, 'accepted'],
      ]);
      expect(await counted.readSlots('sub-1', 'api-calls', new Date(0), new Date('2030-01-01'))).toMatchObject([
        { quantity: '5.4', eventCount: 5 },
      ]);
    });

    it('queues a retry exactly as its first attempt, so id-less events of a half-queued first attempt count once', async () => {
      const request = { events: [...events(2), aUsageEvent({ quantity: 7 })], idempotencyKey: 'k-1' };
      await ingestUsage(deps, aPublisher(), request);
      const first = [...queue.sent];
      await applyUsageMessages({ ledger: counted }, first);
      queue.sent.length = 0;

      const retry = await ingestUsage(deps, aPublisher(), request);
      await applyUsageMessages({ ledger: counted }, queue.sent);

      expect(retry).toMatchObject({ accepted: 1, duplicate: 2 });
      expect(queue.sent).toEqual(first);
      expect(await counted.readSlots('sub-1', 'api-calls', new Date(0), new Date('2030-01-01'))).toMatchObject([
        { quantity: '7.2', eventCount: 3 },
      ]);
    });

    it('sends nothing when every event of the request was counted before', async () => {
      await ingestUsage(deps, aPublisher(), { events: events(2) });
      await applyUsageMessages({ ledger: counted }, queue.sent);
      queue.sent.length = 0;

      const retry = await ingestUsage(deps, aPublisher(), { events: events(2) });

      expect(retry).toMatchObject({ accepted: 0, duplicate: 2 });
      expect(queue.sent).toEqual([]);
    });

    it('counts the same id again in another subscription or another hour (each is another event)', async () => {
      await ingestUsage(deps, aPublisher(), { events: events(1) });
      await applyUsageMessages({ ledger: counted }, queue.sent);

      const other = await ingestUsage(deps, aPublisher(), {
        events: [
          aUsageEvent({ id: 'e0', timestamp: '2026-01-15T08:30:00Z' }),
          aUsageEvent({ id: 'e0', subscriptionId: 'sub-3' }),
        ],
      });

      expect(other).toMatchObject({ accepted: 2, duplicate: 0 });
    });
  });

  it('answers each rejected event with its index, id, reason and message, and queues only the accepted ones', async () => {
    const result = await ingestUsage(deps, aPublisher(), {
      events: [
        aUsageEvent({ id: 'ok' }),
        aUsageEvent({ id: 'u', subscriptionId: 'nope' }),
        aUsageEvent({ id: 's', subscriptionId: 'sub-2' }),
        aUsageEvent({ id: 'd', dimension: 'bandwidth' }),
        aUsageEvent({ id: 'q', quantity: -1 }),
        aUsageEvent({ id: 'f', timestamp: '2026-01-15T11:00:00Z' }),
        aUsageEvent({ id: 'o', timestamp: '2026-01-01T00:00:00Z' }),
      ],
    });

    expect(result).toMatchObject({ accepted: 1, rejected: 6 });
    expect(result.results.map((r) => [r.index, r.id, r.status, r.reason])).toEqual([
      [0, 'ok', 'accepted', undefined],
      [1, 'u', 'rejected', 'unknownSubscription'],
      [2, 's', 'rejected', 'notSubscribed'],
      [3, 'd', 'rejected', 'unknownDimension'],
      [4, 'q', 'rejected', 'invalidQuantity'],
      [5, 'f', 'rejected', 'timestampInFuture'],
      [6, 'o', 'rejected', 'timestampTooOld'],
    ]);
    expect(result.results.slice(1).every((r) => (r.message ?? '').length > 20)).toBe(true);
    expect(queue.sent.flatMap((message) => message.slots)).toEqual([aSlot({ ids: [[eventIdEntry('ok'), '1']] })]);
  });

  it('queues nothing when every event is rejected', async () => {
    const result = await ingestUsage(deps, aPublisher(), { events: [aUsageEvent({ subscriptionId: 'nope' })] });

    expect(result).toMatchObject({ accepted: 0, rejected: 1, markers: [] });
    expect(queue.sent).toEqual([]);
  });

  it('reads each subscription once, however many events name it', async () => {
    await ingestUsage(deps, aPublisher(), { events: [...events(50), ...events(50, { subscriptionId: 'sub-2' })] });

    expect(subscriptions.reads.sort()).toEqual(['sub-1', 'sub-2']);
  });

  it('honours the configured maximum lateness', async () => {
    const event = aUsageEvent({ timestamp: '2026-01-14T09:00:00Z' });

    const lenient = await ingestUsage(deps, aPublisher(), { events: [event] });
    const strict = await ingestUsage({ ...deps, maxLatenessHours: 22 }, aPublisher(), { events: [event] });

    expect(lenient.results[0]?.status).toBe('accepted');
    expect(strict.results[0]?.reason).toBe('timestampTooOld');
  });

  it.each([
    ['partner', aPartner()],
    ['customer', aCustomer()],
  ])('refuses a %s key and queues nothing', async (_role, principal) => {
    await expect(ingestUsage(deps, principal, { events: events(1) })).rejects.toThrow(ForbiddenError);
    expect(queue.sent).toEqual([]);
  });

  it('fails with 503-style ServiceUnavailableError when the queue refuses, telling the client to retry safely', async () => {
    queue.failNext();

    const attempt = ingestUsage(deps, aPublisher(), { events: events(3), idempotencyKey: 'k' });

    await expect(attempt).rejects.toThrow(ServiceUnavailableError);
    await expect(attempt).rejects.toThrow(/same Idempotency-Key/);
  });

  describe('idempotency markers', () => {
    it('are the same for a retry with the same Idempotency-Key and body, and differ for another key', async () => {
      const first = await ingestUsage(deps, aPublisher(), { events: events(5), idempotencyKey: 'req-1' });
      const retry = await ingestUsage(deps, aPublisher(), { events: events(5), idempotencyKey: 'req-1' });
      const other = await ingestUsage(deps, aPublisher(), { events: events(5), idempotencyKey: 'req-2' });

      expect(retry.markers).toEqual(first.markers);
      expect(other.markers).not.toEqual(first.markers);
      expect(first.markers[0]).toMatch(/^[0-9a-f]{64}$/);
    });

    it('differ when a key is reused for different usage, so that usage is never dropped as a duplicate', async () => {
      const first = await ingestUsage(deps, aPublisher(), { events: events(5), idempotencyKey: 'req-1' });
      const different = await ingestUsage(deps, aPublisher(), { events: events(6), idempotencyKey: 'req-1' });

      expect(different.markers).not.toEqual(first.markers);
    });

    it('are the same for a retry whose events all carry the same ids, in any order', async () => {
      const sent = [...events(3), ...events(2, { dimension: 'api-calls', timestamp: '2026-01-15T08:10:00Z' })].map(
        (event, index) => ({ ...event, id: `id-${index}` }),
      );

      const first = await ingestUsage(deps, aPublisher(), { events: sent });
      const retry = await ingestUsage(deps, aPublisher(), { events: [...sent].reverse() });

      expect(retry.markers).toEqual(first.markers);
    });

    it('are random without a key when an event lacks an id, so identical requests both count', async () => {
      const withoutIds = events(2).map(({ id: _id, ...event }) => event);

      const first = await ingestUsage(deps, aPublisher(), { events: withoutIds });
      const second = await ingestUsage(deps, aPublisher(), { events: withoutIds });

      expect(second.markers).not.toEqual(first.markers);
    });

    it('let a retried request count once in the ledger', async () => {
      const ledger = new InMemoryUsageLedger();
      const request = { events: events(10), idempotencyKey: 'req-1' };

      await ingestUsage(deps, aPublisher(), request);
      await ingestUsage(deps, aPublisher(), request);
      const outcomes = [];
      for (const message of queue.sent) outcomes.push(await applyUsageMessage({ ledger }, message));

      expect(outcomes).toEqual(['applied', 'duplicate']);
      expect(await ledger.readSlots('sub-1', 'api-calls', new Date(0), new Date('2027-01-01'))).toEqual([
        aSlot({ quantity: '1', eventCount: 10 }),
      ]);
    });
  });

  it('splits a large request into messages that each fit one transaction', async () => {
    const hourly = Array.from({ length: 1000 }, (_, index) =>
      aUsageEvent({
        id: `e${index}`,
        dimension: ['api-calls', 'gb-processed', 'reports'][index % 3] ?? 'api-calls',
        // Six days of usage: 144 hours × 3 dimensions, more slots than one message holds.
        timestamp: new Date(Date.parse('2026-01-09T10:00:00Z') + index * 500_000).toISOString(),
      }),
    );
    const catalog = await loadCatalog(fileURLToPath(new URL('../../infra/catalog/catalog.yaml', import.meta.url)));

    const result = await ingestUsage({ ...deps, catalog }, aPublisher(), { events: hourly });

    expect(result.accepted).toBe(1000);
    expect(queue.sent.length).toBeGreaterThan(1);
    expect(queue.sent.every((message) => transactionItemCount(message.slots) <= 90)).toBe(true);
    expect(queue.sent.reduce((n, message) => n + message.slots.reduce((m, s) => m + s.eventCount, 0), 0)).toBe(1000);
  });

  it('queues messages that meet the usage message contract and come through JSON unchanged', async () => {
    await ingestUsage(deps, aPublisher(), {
      events: [
        aUsageEvent({ quantity: '0.000001' }),
        aUsageEvent({ quantity: 123456789.5, timestamp: '2026-01-15T08:10:00Z' }),
      ],
      idempotencyKey: 'retry-safe',
    });
    await ingestUsage(deps, aPublisher(), { events: [aUsageEvent({ quantity: 2 })] });

    expect(queue.sent).toHaveLength(2);
    for (const message of queue.sent) {
      expect(usageMessageSchema.parse(JSON.parse(JSON.stringify(message)))).toEqual(message);
    }
  });
});

describe('applying a usage message', () => {
  it('applies a message once and acknowledges it as a duplicate the second time', async () => {
    const ledger = new InMemoryUsageLedger();
    const message = aUsageMessage({ slots: [aSlot({ quantity: '2.5', eventCount: 3 })] });

    const outcomes = [await applyUsageMessage({ ledger }, message), await applyUsageMessage({ ledger }, message)];

    expect(outcomes).toEqual(['applied', 'duplicate']);
    expect(await ledger.readDailyTotals('sub-1', '2026-01-15', '2026-01-15')).toEqual([
      { subscriptionId: 'sub-1', period: '2026-01-15', quantities: { 'api-calls': '2.5' }, eventCount: 3 },
    ]);
  });

  it('refuses a message that can never be applied, writing nothing', async () => {
    const ledger = new InMemoryUsageLedger();

    await expect(applyUsageMessage({ ledger }, aUsageMessage({ slots: [] }))).rejects.toThrow(InvalidUsageMessageError);
    expect(ledger.entries.size).toBe(0);
  });
});
