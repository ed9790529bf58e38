import { randomUUID } from 'node:crypto';
import type {
  BatchUsageEventResult,
  Marketplace,
  ReportedUsage,
  UsageEvent,
  UsageEventResult,
  UsageEventStatus,
  UsageEventsQuery,
} from '#shared/use-cases/ports/marketplace.ts';
import { MarketplaceUnavailableError } from '#shared/use-cases/ports/marketplace-errors.ts';

export interface AcceptedEvent {
  readonly usageEventId: string;
  readonly resourceId: string;
  readonly dimension: string;
  readonly effectiveStartTime: string;
  readonly quantity: number;
  readonly planId: string;
}

const HOUR_MS = 3_600_000;

/**
 * The Metering API's batch call as Microsoft specifies it (§4.1, §4.3): one accepted event per resource + dimension +
 * UTC hour, a later one answered `Duplicate` with the original in `acceptedMessage`; `Expired` more than 24 h back
 * when a clock is given. Scripting, for the reporter's tests:
 * - `answerOnce(key, status)`: the next event of that slot gets `status` (and is not accepted);
 * - `failCalls(n)`: the next n calls throw `MarketplaceUnavailableError` before doing anything (429/5xx);
 * - `loseAnswers(n)`: the next n calls are processed, then throw (the answer is lost: a crash after submission).
 * Every event sent is kept in `sent`, every accepted one in `accepted` (by slot key).
 */
export class FakeMeteringMarketplace implements Pick<Marketplace, 'postBatchUsageEvents' | 'getUsageEvents'> {
  readonly accepted = new Map<string, AcceptedEvent>();
  readonly sent: UsageEvent[] = [];
  readonly calls: UsageEvent[][] = [];
  private readonly scripted = new Map<string, UsageEventStatus[]>();
  private failures = 0;
  private lostAnswers = 0;

  constructor(private readonly clock?: { now(): Date }) {}

  static key(resourceId: string, dimension: string, hour: string | Date): string {
    const time = typeof hour === 'string' ? Date.parse(hour) : hour.getTime();
    return `${resourceId.toLowerCase()}|${dimension}|${new Date(Math.floor(time / HOUR_MS) * HOUR_MS).toISOString()}`;
  }

  answerOnce(resourceId: string, dimension: string, hour: string, ...statuses: UsageEventStatus[]): void {
    this.scripted.set(FakeMeteringMarketplace.key(resourceId, dimension, hour), statuses);
  }

  failCalls(count: number): void {
    this.failures = count;
  }

  loseAnswers(count: number): void {
    this.lostAnswers = count;
  }

  /** Pre-accepts an event, as if sent by an earlier (crashed) run or by another system. */
  preAccept(event: Omit<AcceptedEvent, 'usageEventId'>): AcceptedEvent {
    const accepted = { ...event, usageEventId: randomUUID() };
    this.accepted.set(
      FakeMeteringMarketplace.key(event.resourceId, event.dimension, event.effectiveStartTime),
      accepted,
    );
    return accepted;
  }

  async postBatchUsageEvents(events: readonly UsageEvent[]): Promise<BatchUsageEventResult> {
    if (this.failures > 0) {
      this.failures -= 1;
      throw new MarketplaceUnavailableError('Metering API answered 503 on every attempt', {
        operation: 'postBatchUsageEvents',
        status: 503,
        attempts: 5,
      });
    }
    if (events.length < 1 || events.length > 25) throw new Error(`batch of ${events.length} events`);
    this.calls.push([...events]);
    const result = events.map((event) => this.evaluate(event));
    if (this.lostAnswers > 0) {
      this.lostAnswers -= 1;
      throw new Error('socket hang up after the batch was processed');
    }
    return { count: result.length, result };
  }

  async getUsageEvents(query: UsageEventsQuery): Promise<ReportedUsage[]> {
    const from = query.usageStartDate;
    const to = query.usageEndDate ?? '9999-12-31';
    const rows = new Map<string, ReportedUsage & { submittedQuantity: number; submittedCount: number }>();
    for (const event of this.accepted.values()) {
      const day = event.effectiveStartTime.slice(0, 10);
      if (day < from || day > to) continue;
      const id = `${day}|${event.resourceId}|${event.dimension}|${event.planId}`;
      const row = rows.get(id) ?? {
        usageDate: `${day}T00:00:00Z`,
        usageResourceId: event.resourceId,
        dimension: event.dimension,
        planId: event.planId,
        reconStatus: 'Accepted',
        submittedQuantity: 0,
        processedQuantity: 0,
        submittedCount: 0,
      };
      row.submittedQuantity += event.quantity;
      row.submittedCount += 1;
      rows.set(id, row);
    }
    return [...rows.values()];
  }

  private evaluate(event: UsageEvent): UsageEventResult {
    this.sent.push(event);
    const key = FakeMeteringMarketplace.key(event.resourceId, event.dimension, event.effectiveStartTime);
    const echo = {
      resourceId: event.resourceId,
      dimension: event.dimension,
      effectiveStartTime: event.effectiveStartTime,
      quantity: event.quantity,
      planId: event.planId,
    };
    const script = this.scripted.get(key);
    const status = script?.shift();
    if (script && script.length === 0) this.scripted.delete(key);
    if (status && status !== 'Accepted') return { status, ...echo };
    const now = this.clock?.now().getTime();
    if (now !== undefined && Date.parse(event.effectiveStartTime) < now - 24 * HOUR_MS)
      return { status: 'Expired', ...echo };
    const existing = this.accepted.get(key);
    if (existing) {
      return {
        status: 'Duplicate',
        ...echo,
        messageTime: '0001-01-01T00:00:00',
        acceptedMessage: { ...existing, status: 'Duplicate' },
      };
    }
    const accepted = { ...echo, usageEventId: randomUUID() };
    this.accepted.set(key, accepted);
    return { status: 'Accepted', ...accepted };
  }
}
