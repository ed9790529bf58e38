import { afterEach, describe, expect, it, vi } from 'vitest';
import type { SubscriptionAddition } from '#shared/domain/usage/event-dedup.ts';
import { applyUsageMessages } from '#shared/use-cases/metering/apply-usage-messages.ts';
import type { AddUsageResult } from '#shared/use-cases/metering/ports/usage-ledger.ts';
import { aSlot, aUsageMessage } from '#test/builders/usage.ts';
import { InMemoryUsageLedger } from '#test/helpers/in-memory-usage-ledger.ts';

/** A ledger whose hour sets another worker changes under the first `staleWrites` writes. */
class ContendedLedger extends InMemoryUsageLedger {
  writes = 0;

  constructor(private readonly staleWrites: number) {
    super();
  }

  override async addUsage(addition: SubscriptionAddition): Promise<AddUsageResult> {
    this.writes += 1;
    if (this.writes <= this.staleWrites) return { committedHours: [], stale: true };
    return super.addUsage(addition);
  }
}

describe('applyUsageMessages when other workers change the same hour set', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('tries again after a pause until its turn comes, and counts the message once', async () => {
    vi.useFakeTimers();
    const ledger = new ContendedLedger(9);
    const message = aUsageMessage({ slots: [aSlot({ quantity: '4' })] });

    const applied = applyUsageMessages({ ledger }, [message]);
    await vi.runAllTimersAsync();
    const result = await applied;

    expect(result.outcomes).toEqual([{ status: 'applied' }]);
    expect(ledger.writes).toBe(10);
    expect([...ledger.slots.values()].map((slot) => slot.quantity)).toEqual(['4']);
  });

  it('leaves the message to SQS after 12 attempts, pausing between them', async () => {
    vi.useFakeTimers();
    const ledger = new ContendedLedger(Number.POSITIVE_INFINITY);

    const applied = applyUsageMessages({ ledger }, [aUsageMessage()]);
    await vi.runAllTimersAsync();
    const result = await applied;

    expect(result.outcomes).toEqual([{ status: 'failed', error: expect.any(Error) }]);
    expect(String((result.outcomes[0] as { error: unknown }).error)).toContain('12 attempts in a row; retried later');
    expect(ledger.writes).toBe(12);
    expect(ledger.slots.size).toBe(0);
  });

  it('stops pausing at the given instant, so the function answers its batch before its timeout', async () => {
    vi.useFakeTimers();
    const ledger = new ContendedLedger(Number.POSITIVE_INFINITY);
    const started = Date.now();

    const applied = applyUsageMessages({ ledger, pauseStaleRetriesUntil: new Date(started + 100) }, [aUsageMessage()]);
    await vi.runAllTimersAsync();
    const result = await applied;

    expect(result.outcomes).toEqual([{ status: 'failed', error: expect.any(Error) }]);
    // The pauses double from 10 ms (±50 %): past 100 ms after 5 attempts at the latest, never after 12.
    expect(ledger.writes).toBeLessThanOrEqual(5);
    expect(Date.now()).toBeLessThanOrEqual(started + 100);
  });
});
