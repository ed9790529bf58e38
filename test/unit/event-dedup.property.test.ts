import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Dec } from '#shared/domain/money.ts';
import type { UsageEventInput } from '#shared/domain/usage/usage-event.ts';
import type { UsageMessage } from '#shared/domain/usage/usage-message.ts';
import { applyUsageMessages } from '#shared/use-cases/metering/apply-usage-messages.ts';
import { ingestUsage } from '#shared/use-cases/metering/ingest-usage.ts';
import { aCatalog } from '#test/builders/catalog.ts';
import { aPublisher, aSubscription } from '#test/builders/subscription.ts';
import { FixedClock } from '#test/helpers/fixed-clock.ts';
import { InMemorySubscriptionStore } from '#test/helpers/in-memory-subscription-store.ts';
import { InMemoryUsageLedger } from '#test/helpers/in-memory-usage-ledger.ts';
import { InMemoryUsageQueue } from '#test/helpers/in-memory-usage-queue.ts';

/**
 * Exactly once per event id, end to end through the use cases: requests (some retried, with or without an
 * Idempotency-Key), their messages delivered in any batches and order, some more than once, with ingests and batches
 * interleaved. Whatever happens, the ledger holds each identified event once, the id-less events of a request with a
 * key once, and the id-less events of a request without a key once per time it was sent (today's per-request rule).
 */
const SUBSCRIPTIONS = ['sub-a', 'sub-b'];
const HOURS = ['2026-01-15T08:', '2026-01-15T09:'];

/** The pool of identified events: an id always stands for the same event (a retry resends it unchanged). */
const poolEvent = (index: number): UsageEventInput => ({
  id: `event-${index}`,
  subscriptionId: SUBSCRIPTIONS[index % 2] as string,
  dimension: 'api-calls',
  timestamp: `${HOURS[Math.floor(index / 2) % 2]}${String(10 + index).padStart(2, '0')}:00Z`,
  quantity: `${1 + index}.25`,
});

const requestArbitrary = fc.record({
  ids: fc.uniqueArray(fc.integer({ min: 0, max: 15 }), { maxLength: 6 }),
  anonymous: fc.array(fc.record({ pool: fc.integer({ min: 0, max: 15 }), cents: fc.integer({ min: 1, max: 999 }) }), {
    maxLength: 3,
  }),
  withKey: fc.boolean(),
  sends: fc.integer({ min: 1, max: 3 }),
});

type Step = { kind: 'ingest'; request: number } | { kind: 'deliver'; count: number; redeliver: boolean };

describe('exactly once per event id (property)', () => {
  it('counts every identified event once and every id-less event once per request (with a key) or send', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(requestArbitrary, { minLength: 1, maxLength: 6 }),
        fc.array(fc.record({ count: fc.integer({ min: 1, max: 5 }), redeliver: fc.boolean() }), { maxLength: 12 }),
        fc.infiniteStream(fc.boolean()),
        async (requests, deliveries, coin) => {
          const ledger = new InMemoryUsageLedger();
          const queue = new InMemoryUsageQueue();
          const subscriptions = new InMemorySubscriptionStore();
          for (const id of SUBSCRIPTIONS) await subscriptions.put(aSubscription({ id }));
          const deps = {
            subscriptions,
            catalog: aCatalog(),
            clock: new FixedClock('2026-01-15T10:05:00Z'),
            usageQueue: queue,
            countedEntries: ledger,
            maxLatenessHours: 168,
          };
          // The schedule: every send of every request, and the delivery steps, interleaved by the coin.
          const sends: Step[] = requests.flatMap((request, index) =>
            Array.from({ length: request.sends }, (): Step => ({ kind: 'ingest', request: index })),
          );
          const steps: Step[] = [];
          const pending = deliveries.map((delivery): Step => ({ kind: 'deliver', ...delivery }));
          const flips = coin[Symbol.iterator]();
          while (sends.length > 0 || pending.length > 0) {
            const takeSend = sends.length > 0 && (pending.length === 0 || flips.next().value === true);
            steps.push((takeSend ? sends.shift() : pending.shift()) as Step);
          }

          let queued: UsageMessage[] = [];
          const delivered: UsageMessage[] = [];
          const deliver = async (batch: UsageMessage[]) => {
            const result = await applyUsageMessages({ ledger }, batch);
            expect(result.outcomes.every((outcome) => outcome.status !== 'failed')).toBe(true);
            delivered.push(...batch);
          };
          for (const step of steps) {
            if (step.kind === 'ingest') {
              const request = requests[step.request] as (typeof requests)[number];
              const events = [
                ...request.ids.map(poolEvent),
                ...request.anonymous.map(({ pool, cents }) => ({
                  ...poolEvent(pool),
                  id: undefined,
                  quantity: new Dec(cents).div(100).toString(),
                })),
              ];
              await ingestUsage(deps, aPublisher(), {
                events,
                idempotencyKey: request.withKey ? `request-${step.request}` : undefined,
              });
              queued.push(...queue.sent.splice(0));
            } else {
              const batch = queued.splice(0, step.count);
              // A redelivery: messages delivered before come again in this batch.
              if (step.redeliver) batch.push(...delivered.slice(-2));
              await deliver(batch.reverse());
            }
          }
          if (queued.length > 0) await deliver(queued);
          queued = [];

          // Expected: per subscription and hour, in hundredths.
          const expected = new Map<string, Dec>();
          const add = (event: UsageEventInput, times: number) => {
            const key = `${event.subscriptionId}|${event.timestamp.slice(0, 13)}`;
            expected.set(key, (expected.get(key) ?? new Dec(0)).plus(new Dec(event.quantity).times(times)));
          };
          const ids = new Set(requests.flatMap((request) => request.ids));
          for (const index of ids) add(poolEvent(index), 1);
          for (const request of requests) {
            for (const { pool, cents } of request.anonymous) {
              add(
                { ...poolEvent(pool), quantity: new Dec(cents).div(100).toString() },
                request.withKey ? 1 : request.sends,
              );
            }
          }
          for (const subscriptionId of SUBSCRIPTIONS) {
            for (const hour of HOURS) {
              const slots = await ledger.readSlots(
                subscriptionId,
                'api-calls',
                new Date(`${hour}00:00Z`),
                new Date(`${hour}00:00Z`),
              );
              const stored = slots.reduce((sum, slot) => sum.plus(slot.quantity), new Dec(0));
              expect(stored.toString()).toBe(
                (expected.get(`${subscriptionId}|${hour.slice(0, 13)}`) ?? new Dec(0)).toString(),
              );
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
