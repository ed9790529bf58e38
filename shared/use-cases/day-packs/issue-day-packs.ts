import { type DayPack, newDayPack, type ProductKey } from '#shared/domain/day-packs.ts';
import { ValidationError } from '#shared/domain/errors.ts';
import type { DayPackCodes } from '#shared/use-cases/day-packs/ports/day-pack-codes.ts';
import type { DayPackStore } from '#shared/use-cases/day-packs/ports/day-pack-store.ts';
import type { Clock } from '#shared/use-cases/ports/clock.ts';

/** Most packs one call may issue: keeps one request's writes and response small. */
export const MAX_DAY_PACKS_PER_ISSUE = 1000;

export interface IssueDayPacksDeps {
  readonly dayPacks: DayPackStore;
  readonly dayPackCodes: DayPackCodes;
  readonly clock: Clock;
}

export interface IssueDayPacksInput {
  /** The offer id of the subscriptions the packs may extend. */
  readonly productKey: ProductKey;
  /** Days each pack adds: a positive whole number (30, 90, 365 are typical). */
  readonly days: number;
  /** How many packs to issue, 1..MAX_DAY_PACKS_PER_ISSUE. */
  readonly count: number;
  /** The reseller partner the packs are issued to, if sold through one. */
  readonly partnerId?: string;
}

export interface IssuedDayPack {
  /** The code in clear: returned this once and never stored, so it cannot be shown again. */
  readonly code: string;
  readonly pack: DayPack;
}

/**
 * Issues `count` unredeemed day packs of `days` days for one product, optionally attributed to a partner.
 * Steps: validate the input, generate a random code per pack, store only the code hashes, return the codes.
 *
 * @throws ValidationError when `count` is not a whole number in 1..1000, `days` is not a whole number in range,
 *   or `productKey` / `partnerId` is blank.
 * @throws ConflictError in the astronomically unlikely case a generated code already exists.
 */
export async function issueDayPacks(deps: IssueDayPacksDeps, input: IssueDayPacksInput): Promise<IssuedDayPack[]> {
  if (!Number.isInteger(input.count) || input.count < 1 || input.count > MAX_DAY_PACKS_PER_ISSUE) {
    throw new ValidationError(
      `count must be a whole number from 1 to ${MAX_DAY_PACKS_PER_ISSUE}, got ${input.count}`,
      'count',
    );
  }
  const issuedAt = deps.clock.now();
  const issued = new Map<string, IssuedDayPack>();
  while (issued.size < input.count) {
    const code = deps.dayPackCodes.generate();
    const codeHash = deps.dayPackCodes.hash(code);
    // A repeat within the batch would be two packs behind one code; draw again rather than store it.
    if (issued.has(codeHash)) continue;
    const pack = newDayPack(
      { codeHash, productKey: input.productKey, days: input.days, partnerId: input.partnerId },
      issuedAt,
    );
    issued.set(codeHash, { code, pack });
  }
  const result = [...issued.values()];
  await deps.dayPacks.saveIssued(result.map((entry) => entry.pack));
  return result;
}
