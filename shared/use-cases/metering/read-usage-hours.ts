import { HOUR_MS } from '#shared/domain/terms.ts';
import { QuantitySum } from '#shared/domain/usage/quantity-sum.ts';
import type { UsageSlot } from '#shared/domain/usage/usage-message.ts';
import { DAY_MS, dayChunks, dayKey } from '#shared/use-cases/metering/day-reads.ts';
import type { UsageLedger } from '#shared/use-cases/metering/ports/usage-ledger.ts';

export type UsageHour = Pick<UsageSlot, 'dimension' | 'hour' | 'quantity'>;

/**
 * The hourly usage of `dimensions` in the hours `fromHour` … `toHour` (hour starts, both included), the same
 * quantities as the hourly slots hold, read from the daily items with their hourly split: one item per UTC day for all
 * dimensions rather than one per hour and dimension (a month of 30 dimensions: ~31 items instead of ~22,000, which made
 * a year's charges take seconds to read). A day whose hours of a dimension do not add up to its total was (partly)
 * written before the daily items carried hours: that dimension's hours of that day are read from its slots.
 *
 * Ordered by dimension, then hour, as `readSlots` per dimension gives them.
 */
export async function readUsageHours(
  ledger: Pick<UsageLedger, 'readDailyUsage' | 'readSlotQuantities'>,
  subscriptionId: string,
  dimensions: readonly string[],
  fromHour: Date,
  toHour: Date,
): Promise<UsageHour[]> {
  if (toHour.getTime() < fromHour.getTime() || dimensions.length === 0) return [];
  const from = fromHour.getTime();
  const to = toHour.getTime();
  const byDimension = new Map<string, UsageHour[]>(dimensions.map((dimension) => [dimension, []]));
  const fallbacks: { dimension: string; from: Date; to: Date }[] = [];
  const chunks = await Promise.all(
    dayChunks([[fromHour, toHour]]).map(([first, last]) =>
      ledger.readDailyUsage(subscriptionId, dayKey(first), dayKey(last)),
    ),
  );
  for (const day of chunks.flat()) {
    const dayStart = Date.parse(`${day.period}T00:00:00.000Z`);
    for (const dimension of dimensions) {
      const total = day.quantities[dimension];
      if (total === undefined) continue;
      const hourly = day.hourly[dimension] ?? [];
      const sum = new QuantitySum();
      for (const quantity of hourly) if (quantity !== undefined) sum.add(quantity);
      if (!sum.equals(total)) {
        fallbacks.push({
          dimension,
          from: new Date(Math.max(dayStart, from)),
          to: new Date(Math.min(dayStart + DAY_MS - HOUR_MS, to)),
        });
        continue;
      }
      const hours = byDimension.get(dimension) ?? [];
      hourly.forEach((quantity, h) => {
        const t = dayStart + h * HOUR_MS;
        if (quantity !== undefined && t >= from && t <= to) {
          hours.push({ dimension, hour: new Date(t).toISOString(), quantity });
        }
      });
    }
  }
  const slots = await Promise.all(
    fallbacks.map((f) => ledger.readSlotQuantities(subscriptionId, f.dimension, f.from, f.to)),
  );
  for (const slot of slots.flat()) byDimension.get(slot.dimension)?.push(slot);
  return [...byDimension.values()].flatMap((hours) => hours.sort((a, b) => (a.hour < b.hour ? -1 : 1)));
}
