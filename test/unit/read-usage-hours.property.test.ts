import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { USAGE_MESSAGE_VERSION } from '#shared/domain/usage/usage-message.ts';
import { applyUsageMessage } from '#shared/use-cases/metering/apply-usage-messages.ts';
import { readUsageHours } from '#shared/use-cases/metering/read-usage-hours.ts';
import { InMemoryUsageLedger } from '#test/helpers/in-memory-usage-ledger.ts';

const SUBSCRIPTION = 'sub-hours';
const DIMENSIONS = ['calls', 'gb'] as const;
const HOUR_MS = 3_600_000;
const START = Date.parse('2026-11-29T00:00:00.000Z');
/** Five UTC days of hours, across a month's end. */
const HOURS = 5 * 24;

const quantity = fc.oneof(
  fc.integer({ min: 1, max: 10_000 }).map(String),
  fc
    .tuple(fc.integer({ min: 0, max: 99 }), fc.integer({ min: 1, max: 999 }))
    .map(([whole, part]) => `${whole}.${part}`),
);
const usage = fc.array(
  fc.record({ hour: fc.integer({ min: 0, max: HOURS - 1 }), dimension: fc.constantFrom(...DIMENSIONS), quantity }),
  { maxLength: 40 },
);

/**
 * PROPERTY: the hours read from the daily items are the hourly slots' quantities, for any range of hours and any mix
 * of days stored with their hourly split and days stored (partly) before the daily items carried hours.
 */
describe('readUsageHours', () => {
  it('gives the same hours and quantities as the slots, for any range and any days without their hourly split', async () => {
    await fc.assert(
      fc.asyncProperty(
        usage,
        fc.array(fc.integer({ min: 0, max: HOURS - 1 }), { maxLength: 6 }),
        fc.integer({ min: 0, max: HOURS - 1 }),
        fc.integer({ min: 0, max: HOURS - 1 }),
        async (events, legacyHours, a, b) => {
          const ledger = new InMemoryUsageLedger();
          for (const event of events) {
            await applyUsageMessage(
              { ledger },
              {
                version: USAGE_MESSAGE_VERSION,
                marker: randomUUID().replaceAll('-', ''),
                slots: [
                  {
                    subscriptionId: SUBSCRIPTION,
                    offerId: 'offer',
                    dimension: event.dimension,
                    hour: new Date(START + event.hour * HOUR_MS).toISOString(),
                    quantity: event.quantity,
                    eventCount: 1,
                  },
                ],
              },
            );
          }
          for (const hour of legacyHours) {
            ledger.forgetHourlySplit(SUBSCRIPTION, new Date(START + hour * HOUR_MS).toISOString());
          }
          const from = new Date(START + Math.min(a, b) * HOUR_MS);
          const to = new Date(START + Math.max(a, b) * HOUR_MS);

          const read = await readUsageHours(ledger, SUBSCRIPTION, DIMENSIONS, from, to);

          const slots = (
            await Promise.all(DIMENSIONS.map((d) => ledger.readSlotQuantities(SUBSCRIPTION, d, from, to)))
          ).flat();
          expect(read).toEqual(slots);
        },
      ),
      { numRuns: 300 },
    );
  });
});
