import { beforeEach, describe, expect, it } from 'vitest';
import { cryptoDayPackCodes, hashDayPackCode } from '#shared/adapters/day-pack-codes.ts';
import { ValidationError } from '#shared/domain/errors.ts';
import { issueDayPacks } from '#shared/use-cases/day-packs/issue-day-packs.ts';
import { aFixedClock } from '#test/builders/day-packs.ts';
import { InMemoryDayPackStore } from '#test/helpers/in-memory-day-pack-store.ts';

describe('issuing day packs', () => {
  let dayPacks: InMemoryDayPackStore;
  const clock = aFixedClock('2025-01-15T09:00:00Z');

  beforeEach(() => {
    dayPacks = new InMemoryDayPackStore();
  });

  it('returns each code once in clear and stores only its hash', async () => {
    const issued = await issueDayPacks(
      { dayPacks, dayPackCodes: cryptoDayPackCodes, clock },
      { productKey: 'contoso-analytics', days: 90, count: 3, partnerId: 'partner-1' },
    );

    const stored = await dayPacks.listByPartner('partner-1');
    expect(issued).toHaveLength(3);
    expect(new Set(issued.map((entry) => entry.code)).size).toBe(3);
    expect(stored.map((pack) => pack.codeHash).sort()).toEqual(
      issued.map((entry) => hashDayPackCode(entry.code)).sort(),
    );
    for (const { code } of issued) expect(JSON.stringify(stored)).not.toContain(code.replaceAll('-', ''));
    expect(stored[0]).toEqual({
      codeHash: expect.any(String),
      productKey: 'contoso-analytics',
      days: 90,
      partnerId: 'partner-1',
      issuedAt: new Date('2025-01-15T09:00:00Z'),
    });
  });

  it.each([0, 1001, 2.5])('refuses to issue %s packs at once', async (count) => {
    const act = issueDayPacks(
      { dayPacks, dayPackCodes: cryptoDayPackCodes, clock },
      { productKey: 'contoso-analytics', days: 30, count },
    );

    await expect(act).rejects.toThrow(ValidationError);
  });

  it('stores nothing when the days are not a positive whole number', async () => {
    const act = issueDayPacks(
      { dayPacks, dayPackCodes: cryptoDayPackCodes, clock },
      { productKey: 'contoso-analytics', days: 0, count: 5, partnerId: 'partner-1' },
    );

    await expect(act).rejects.toThrow(/days/);
    expect(await dayPacks.listByPartner('partner-1')).toEqual([]);
  });

  it('draws again instead of storing two packs behind one code', async () => {
    const codes = ['AAAA-AAAA-AAAA-AAAA', 'aaaa aaaa aaaa aaaa', 'BBBB-BBBB-BBBB-BBBB'];
    const repeating = { generate: () => codes.shift() ?? 'never', hash: hashDayPackCode };

    const issued = await issueDayPacks(
      { dayPacks, dayPackCodes: repeating, clock },
      { productKey: 'contoso-analytics', days: 30, count: 2 },
    );

    expect(issued.map((entry) => entry.code)).toEqual(['AAAA-AAAA-AAAA-AAAA', 'BBBB-BBBB-BBBB-BBBB']);
  });
});
