import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Dec } from '#shared/domain/money.ts';
import { MAX_TRANSACTION_ITEMS } from '#shared/domain/transaction-limits.ts';
import { aggregateIntoSlots } from '#shared/domain/usage/slot-aggregation.ts';
import {
  packSlots,
  transactionItemCount,
  USAGE_MESSAGE_ITEM_BUDGET,
} from '#shared/domain/usage/transaction-packing.ts';
import type { AcceptedUsageEvent } from '#shared/domain/usage/usage-event.ts';
import { checkQuantity, parseQuantity } from '#shared/domain/usage/usage-quantity.ts';
import { totalsDeltasOf } from '#shared/domain/usage/usage-totals.ts';

const HOUR = 3_600_000;
// A few subscriptions, dimensions and hours over three months, so that slots collide, span days and months.
const eventArbitrary: fc.Arbitrary<AcceptedUsageEvent> = fc.record({
  subscriptionId: fc.constantFrom('sub-a', 'sub-b', 'sub-c', 'Sub-A'),
  offerId: fc.constant('contoso-analytics'),
  dimension: fc.constantFrom('api-calls', 'gb-processed', 'reports', 'd#1'),
  hour: fc.integer({ min: 0, max: 24 * 90 }).map((h) => new Date(Date.UTC(2026, 0, 1) + h * HOUR).toISOString()),
  // Exact decimals with up to 6 places (trailing zeros vary the places), as the ingest accepts them.
  quantity: fc
    .tuple(fc.nat({ max: 999_999_999 }), fc.nat({ max: 999_999 }))
    .map(([units, micros]) => new Dec(`${units}.${String(micros).padStart(6, '0')}`))
    .filter((quantity) => quantity.greaterThan(0)),
  id: fc.option(fc.uuid(), { nil: undefined }),
});
const workload = fc.array(eventArbitrary, { minLength: 0, maxLength: 400 });
const budget = fc.integer({ min: 4, max: MAX_TRANSACTION_ITEMS });

const key = (slot: { subscriptionId: string; dimension: string; hour: string }) =>
  `${slot.subscriptionId}|${slot.dimension}|${slot.hour}`;

function expectedSums(events: readonly AcceptedUsageEvent[]): Map<string, { quantity: Dec; count: number }> {
  const sums = new Map<string, { quantity: Dec; count: number }>();
  for (const event of events) {
    const sum = sums.get(key(event)) ?? { quantity: new Dec(0), count: 0 };
    sums.set(key(event), { quantity: sum.quantity.plus(event.quantity), count: sum.count + 1 });
  }
  return sums;
}

describe('packing usage into queue messages (property-based)', () => {
  it('never loses or duplicates quantity: per slot, the messages add up exactly to the accepted events', () => {
    fc.assert(
      fc.property(workload, budget, (events, itemBudget) => {
        const groups = packSlots(aggregateIntoSlots(events), itemBudget);

        const packed = new Map<string, { quantity: Dec; count: number; occurrences: number }>();
        for (const slot of groups.flatMap((group) => group.slots)) {
          const seen = packed.get(key(slot));
          packed.set(key(slot), {
            quantity: (seen?.quantity ?? new Dec(0)).plus(slot.quantity),
            count: (seen?.count ?? 0) + slot.eventCount,
            occurrences: (seen?.occurrences ?? 0) + 1,
          });
        }
        const expected = expectedSums(events);
        expect([...packed.keys()].sort()).toEqual([...expected.keys()].sort());
        for (const [slotKey, sum] of expected) {
          const actual = packed.get(slotKey);
          expect(actual?.occurrences).toBe(1);
          expect(actual?.quantity.equals(sum.quantity)).toBe(true);
          expect(actual?.count).toBe(sum.count);
        }
      }),
    );
  });

  it('fits every message in one transaction within the item budget, and never leaves a message empty', () => {
    fc.assert(
      fc.property(workload, budget, (events, itemBudget) => {
        for (const group of packSlots(aggregateIntoSlots(events), itemBudget)) {
          expect(group.slots.length).toBeGreaterThan(0);
          expect(transactionItemCount(group.slots)).toBeLessThanOrEqual(itemBudget);
        }
      }),
    );
  });

  it('packs the same usage into the same messages, whatever the order of the events', () => {
    fc.assert(
      fc.property(
        workload.chain((events) =>
          fc.tuple(fc.constant(events), fc.shuffledSubarray(events, { minLength: events.length })),
        ),
        ([events, shuffled]) => {
          const slotsOf = (input: readonly AcceptedUsageEvent[]) =>
            packSlots(aggregateIntoSlots(input)).map((group) => group.slots);

          expect(slotsOf(shuffled)).toEqual(slotsOf(events));
        },
      ),
    );
  });

  it('keeps the daily and monthly totals of every message equal to the sum of its slots', () => {
    fc.assert(
      fc.property(workload, (events) => {
        for (const group of packSlots(aggregateIntoSlots(events), USAGE_MESSAGE_ITEM_BUDGET)) {
          const slotTotal = group.slots.reduce((sum, slot) => sum.plus(slot.quantity), new Dec(0));
          for (const granularity of ['day', 'month'] as const) {
            const totals = totalsDeltasOf(group.slots, granularity);
            const total = totals.flatMap((t) => [...t.quantities.values()]).reduce((a, b) => a.plus(b), new Dec(0));
            expect(total.equals(slotTotal)).toBe(true);
          }
        }
      }),
    );
  });

  it('reads a quantity sent as a JSON number exactly as the decimal literal the client wrote', () => {
    fc.assert(
      fc.property(fc.nat({ max: 999_999_999 }), fc.nat({ max: 999_999 }), (units, micros) => {
        const literal = `${units}.${String(micros).padStart(6, '0')}`;
        const parsed = parseQuantity(JSON.parse(literal) as number);

        fc.pre(!new Dec(literal).isZero());
        expect(parsed.ok && parsed.value.equals(new Dec(literal))).toBe(true);
      }),
    );
  });

  it('gives the same verdict on the fast path as the explicit checks, for every quantity', () => {
    const digits = (max: number) => fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: 1, maxLength: max });
    const decimalText = fc
      .tuple(fc.constantFrom('', '-'), digits(11), fc.option(digits(8), { nil: undefined }))
      .map(([sign, units, fraction]) => `${sign}${units}${fraction === undefined ? '' : `.${fraction}`}`);
    const quantity = fc.oneof(
      decimalText,
      fc.string({ maxLength: 12, unit: fc.constantFrom(...'0123456789.-e+ x') }),
      fc.double(),
      fc.integer(),
      fc.constantFrom(0, -0, 1e-7, 1e9, 999_999_999.999_999, Number.NaN, Number.POSITIVE_INFINITY, '1e3', '.5', '5.'),
    );
    fc.assert(
      fc.property(quantity, (raw) => {
        const fast = parseQuantity(raw);
        const checked = checkQuantity(raw);

        expect(fast.ok).toBe(checked.ok);
        if (fast.ok && checked.ok) expect(fast.value.toString()).toBe(checked.value.toString());
        else expect(fast).toEqual(checked);
      }),
      { numRuns: 2_000 },
    );
  });
});
