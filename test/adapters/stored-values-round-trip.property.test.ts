import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { approvalSchema, budgetSchema, creditLevelsSchema, partnerSchema } from '#functions/api/schema.ts';
import { MAIN_TABLE } from '#infra/resources.ts';
import { DynamoAlertSettingsReader } from '#shared/adapters/dynamodb/dynamo-alert-settings-reader.ts';
import { DynamoBudgetStore } from '#shared/adapters/dynamodb/dynamo-budget-store.ts';
import { DynamoPartnerStore } from '#shared/adapters/dynamodb/dynamo-partner-store.ts';
import {
  parseBudgetSettings,
  parseCreditLevels,
  parsePartner,
  parsePurchaseApproval,
} from '#shared/domain/alerts/settings.ts';
import { ValidationError } from '#shared/domain/errors.ts';
import { localClients, provisionIsolatedResources } from '#test/helpers/local-aws.ts';

/**
 * What the API accepts, the store returns and validates again: for every stored settings type, any body the edge
 * schema and the domain accept is stored in DynamoDB Local and read back equal (through the same parse functions the
 * readers use). A 40-digit planned amount once broke this: accepted, stored padded to 43 characters, refused on read.
 */
describe('stored settings read back what the API accepted (DynamoDB Local)', () => {
  const { documentClient } = localClients();
  let budgets: DynamoBudgetStore;
  let partners: DynamoPartnerStore;
  let settingsReader: DynamoAlertSettingsReader;
  const RUNS = { numRuns: 60 };

  beforeAll(async () => {
    const table = (await provisionIsolatedResources())[MAIN_TABLE.envVar] ?? '';
    budgets = new DynamoBudgetStore(documentClient, table);
    partners = new DynamoPartnerStore(documentClient, table);
    settingsReader = new DynamoAlertSettingsReader(documentClient, table);
  });

  /** The input as the API takes it, or undefined when the edge schema or the domain refuses it (a 400). */
  function accepted<S extends z.ZodType, T>(schema: S, body: unknown, parse: (input: z.infer<S>) => T): T | undefined {
    const shaped = schema.safeParse(body);
    if (!shaped.success) return undefined;
    try {
      return parse(shaped.data);
    } catch (error) {
      if (error instanceof ValidationError) return undefined;
      throw error;
    }
  }

  const digits = (max: number) => fc.stringMatching(new RegExp(`^[0-9]{1,${max}}$`));
  /** Mostly values the API accepts (the interesting ones for a round trip), sometimes anything. */
  const mostly = <T>(valid: fc.Arbitrary<T>, wild: fc.Arbitrary<T>) =>
    fc.oneof({ arbitrary: valid, weight: 9 }, { arbitrary: wild, weight: 1 });
  // Whole parts up to 17 digits cross the 15-digit bound; 40 and more are what once broke reading back.
  const amountText = mostly(
    fc
      .tuple(digits(17), fc.option(digits(3), { nil: undefined }))
      .map(([whole, fraction]) => (fraction === undefined ? whole : `${whole}.${fraction}`)),
    fc.oneof(
      fc.stringMatching(/^[1-9][0-9]{37,39}$/),
      fc.tuple(digits(45), digits(4)).map(([whole, fraction]) => `${whole}.${fraction}`),
      fc.string({ maxLength: 45 }),
    ),
  );
  const currency = fc.constantFrom('USD', 'JPY', 'KWD', 'EUR');
  const amount = (ccy: string) => fc.record({ amount: amountText, currency: fc.constant(ccy) });
  const contacts = fc.record(
    {
      emails: fc.array(mostly(fc.emailAddress(), fc.string({ maxLength: 40 })), { maxLength: 11 }),
      phones: fc.array(
        mostly(
          fc.tuple(fc.integer({ min: 1, max: 9 }), digits(13)).map(([first, rest]) => `+${first}${rest}`),
          fc.string({ maxLength: 17 }),
        ),
        { maxLength: 11 },
      ),
    },
    { requiredKeys: [] },
  );
  const timeZone = mostly(fc.constantFrom('UTC', 'Asia/Tokyo', 'America/New_York', 'Etc/GMT+12'), fc.string());
  const locale = mostly(fc.constantFrom('ja', 'en'), fc.string({ maxLength: 3 }));
  const thresholds = mostly(
    fc.uniqueArray(
      fc.oneof(
        fc.integer({ min: 1, max: 1000 }).map((n) => String(n / 100)),
        fc.double({ noNaN: true, noDefaultInfinity: true, min: 1e-30, max: 10 }),
      ),
      { minLength: 1, maxLength: 10 },
    ),
    fc.array(fc.oneof(fc.double(), fc.string({ maxLength: 22 })), { minLength: 1, maxLength: 11 }),
  );

  it('budgets', async () => {
    const body = currency.chain((ccy) =>
      fc.record(
        {
          plannedMonthlyAmount: amount(ccy),
          thresholds,
          forecastAlert: fc.boolean(),
          spikeMinimumAmount: amount(ccy),
          timeZone,
          locale,
          contacts,
        },
        { requiredKeys: ['plannedMonthlyAmount'] },
      ),
    );
    let stored = 0;
    await fc.assert(
      fc.asyncProperty(body, async (input) => {
        const subscriptionId = `sub-${randomUUID()}`;
        const budget = accepted(budgetSchema, input, (shaped) =>
          parseBudgetSettings({ ...shaped, subscriptionId, customerId: `tenant-${subscriptionId}` }),
        );
        if (!budget) return;
        await budgets.putBudget(budget);
        stored++;

        const read = await budgets.getBudget(subscriptionId);
        const batch = (await settingsReader.readMany([subscriptionId])).get(subscriptionId);

        expect(JSON.parse(JSON.stringify(read))).toEqual(JSON.parse(JSON.stringify(budget)));
        expect(batch?.budgetProblem).toBeUndefined();
        expect(batch?.budget?.plannedMonthlyAmount.equals(budget.plannedMonthlyAmount)).toBe(true);
      }),
      RUNS,
    );
    // The generator must reach the store, or the property says nothing.
    expect(stored).toBeGreaterThan(5);
  });

  it('partners', async () => {
    const body = fc.record(
      {
        name: mostly(fc.string({ minLength: 1, maxLength: 200 }), fc.string({ maxLength: 210 })),
        tenantId: mostly(fc.uuid(), fc.string({ maxLength: 110 })),
        locale,
        timeZone,
        contacts,
      },
      { requiredKeys: ['name', 'tenantId'] },
    );
    let stored = 0;
    await fc.assert(
      fc.asyncProperty(body, fc.string({ minLength: 1, maxLength: 100 }), async (input, rawId) => {
        const id = `${rawId.trim() || 'p'}-${randomUUID()}`;
        const partner = accepted(partnerSchema, input, (shaped) => parsePartner({ ...shaped, id }));
        if (!partner) return;
        await partners.putPartner(partner);
        stored++;

        expect(await partners.getPartner(partner.id)).toEqual(partner);
      }),
      RUNS,
    );
    expect(stored).toBeGreaterThan(5);
  });

  it('credit levels (the link of a partner and a customer)', async () => {
    const body = currency.chain((ccy) =>
      fc.record({ warning: amount(ccy), approvalRequired: amount(ccy), purchaseBlocked: amount(ccy) }),
    );
    // Increasing levels are rare among random amounts: also try each body with its amounts sorted.
    let stored = 0;
    await fc.assert(
      fc.asyncProperty(body, fc.boolean(), async (input, sort) => {
        const levelsInput = sort ? sortLevels(input) : input;
        const levels = accepted(creditLevelsSchema, levelsInput, parseCreditLevels);
        if (!levels) return;
        const subscriptionId = `sub-${randomUUID()}`;
        const link = {
          partnerId: 'partner-round-trip',
          customerId: 'tenant-round-trip',
          subscriptionId,
          levels,
          purchaseBlockedLevelSetAt: new Date('2026-03-01T00:00:00.000Z'),
        };
        await partners.putCreditLink(link);
        stored++;

        const read = await partners.getCreditLink(subscriptionId);
        const batch = (await settingsReader.readMany([subscriptionId])).get(subscriptionId);

        expect(JSON.parse(JSON.stringify(read))).toEqual(JSON.parse(JSON.stringify(link)));
        expect(batch?.creditLink?.levels.purchaseBlocked.equals(levels.purchaseBlocked)).toBe(true);
      }),
      // Three amounts must each fit the currency and rise: about one body in five is accepted, so 60 runs
      // sometimes stored fewer than six. 200 store about 40.
      { numRuns: 200 },
    );
    expect(stored).toBeGreaterThan(5);
  });

  it('purchase approvals', async () => {
    const now = new Date('2026-03-12T10:30:00.000Z');
    const body = fc.record(
      {
        subscriptionId: mostly(fc.uuid(), fc.string({ maxLength: 110 })),
        planId: mostly(fc.string({ minLength: 1, maxLength: 50 }), fc.string({ maxLength: 110 })),
        maxQuantity: fc.oneof(fc.integer({ min: -2, max: 2_000_000 }), fc.double()),
        expiresAt: fc
          .integer({ min: -86_400_000, max: 100 * 86_400_000 })
          .map((offset) => new Date(now.getTime() + offset).toISOString()),
      },
      { requiredKeys: ['subscriptionId', 'expiresAt'] },
    );
    let stored = 0;
    await fc.assert(
      fc.asyncProperty(body, async (input) => {
        const approval = accepted(approvalSchema, input, (shaped) =>
          parsePurchaseApproval({ ...shaped, id: randomUUID(), partnerId: 'partner-round-trip' }, now),
        );
        if (!approval) return;
        await partners.putApproval(approval);
        stored++;

        const read = await partners.listApprovals(approval.subscriptionId);

        expect(read).toContainEqual(approval);
      }),
      RUNS,
    );
    expect(stored).toBeGreaterThan(5);
  });
});

/** The three amounts in ascending numeric order (when they are numbers at all), so that the domain can accept them. */
function sortLevels<T extends { warning: { amount: string }; approvalRequired: { amount: string } }>(
  input: T & { purchaseBlocked: { amount: string } },
): T {
  const amounts = [input.warning, input.approvalRequired, input.purchaseBlocked].map((level) => level.amount);
  const numeric = amounts.every((value) => /^\d+(\.\d+)?$/.test(value.trim()));
  if (!numeric) return input;
  const ordered = [...amounts].sort((a, b) => Number(a) - Number(b));
  return {
    ...input,
    warning: { ...input.warning, amount: ordered[0] },
    approvalRequired: { ...input.approvalRequired, amount: ordered[1] },
    purchaseBlocked: { ...input.purchaseBlocked, amount: ordered[2] },
  };
}
