import { UNREPORTED_SHARDS, unreportedShardOf } from '#shared/adapters/dynamodb/metering-item-keys.ts';
import { Dec } from '#shared/domain/money.ts';
import { emptyMeter, hasCarry, type MeterState, type ReportingSlot } from '#shared/domain/reporting/slots.ts';
import type {
  MeteringFlag,
  ReportedTotal,
  ReportingLedger,
  SlotAccounting,
  SlotAnswer,
  SlotKey,
  UnreportedEntry,
  UnreportedShardHead,
} from '#shared/use-cases/metering/ports/reporting-ledger.ts';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * `ReportingLedger` in Maps with the DynamoDB adapter's conditions: an accounting step is written only if the meter's
 * version and the slot's quantity and report version are what the reporter read; an answer only while the submission is
 * pending, leaving the index only if nothing arrived since. `addUsage` is the aggregator's ADD (it puts the slot back
 * in the index). `beforeAccount` runs before each accounting step checks its conditions: a test slips a concurrent
 * write in there.
 */
export class InMemoryReportingLedger implements ReportingLedger {
  readonly slots = new Map<string, Mutable<ReportingSlot>>();
  readonly meters = new Map<string, MeterState>();
  readonly flags = new Map<string, MeteringFlag & { count: number }>();
  readonly reported = new Map<string, { quantity: Dec; count: number }>();
  beforeAccount: ((step: SlotAccounting) => Promise<void> | void) | undefined;

  /** The aggregator's addition to a slot (creates it), which also puts it in the unreported index. */
  addUsage(subscriptionId: string, dimension: string, hour: string, quantity: string, offerId = 'contoso-analytics') {
    const id = keyOf({ subscriptionId, dimension, hour });
    const slot = this.slots.get(id);
    if (slot) {
      slot.quantity = slot.quantity.plus(quantity);
      slot.indexed = true;
      return;
    }
    this.slots.set(id, {
      subscriptionId,
      offerId,
      dimension,
      hour,
      quantity: new Dec(quantity),
      accountedQuantity: new Dec(0),
      lateQuantity: new Dec(0),
      unreportableQuantity: new Dec(0),
      indexed: true,
      reportVersion: 0,
    });
  }

  slot(subscriptionId: string, dimension: string, hour: string): ReportingSlot | undefined {
    const found = this.slots.get(keyOf({ subscriptionId, dimension, hour }));
    return found && { ...found };
  }

  /** Same sharding as the DynamoDB adapter, so a fan-out test sees the same split. */
  readonly shardCount = UNREPORTED_SHARDS;

  async unreportedHeads(untilHour: Date): Promise<UnreportedShardHead[]> {
    const entries = await this.findUnreported(untilHour);
    return Array.from({ length: this.shardCount }, (_, shard) => {
      const own = entries.filter((entry) => unreportedShardOf(entry.subscriptionId) === shard);
      return { shard, entries: own.length, ...(own[0] ? { oldestHour: own[0].hour } : {}) };
    });
  }

  async findUnreported(untilHour: Date, subscriptionId?: string, shard?: number): Promise<UnreportedEntry[]> {
    const until = untilHour.toISOString();
    const entries: UnreportedEntry[] = [];
    for (const slot of this.slots.values()) {
      if (slot.indexed && slot.hour <= until) {
        entries.push({ kind: 'slot', subscriptionId: slot.subscriptionId, dimension: slot.dimension, hour: slot.hour });
      }
    }
    for (const meter of this.meters.values()) {
      if (hasCarry(meter) && meter.carrySince && meter.carrySince <= until) {
        entries.push({
          kind: 'meter',
          subscriptionId: meter.subscriptionId,
          dimension: meter.dimension,
          hour: meter.carrySince,
        });
      }
    }
    return entries
      .filter((entry) => subscriptionId === undefined || entry.subscriptionId === subscriptionId)
      .filter((entry) => shard === undefined || unreportedShardOf(entry.subscriptionId) === shard)
      .sort((a, b) => (a.hour < b.hour ? -1 : a.hour > b.hour ? 1 : 0));
  }

  async readMeter(subscriptionId: string, dimension: string): Promise<MeterState> {
    return this.meters.get(`${subscriptionId}|${dimension}`) ?? emptyMeter(subscriptionId, dimension);
  }

  async readSlots(subscriptionId: string, dimension: string, fromHour: Date, toHour: Date): Promise<ReportingSlot[]> {
    const from = fromHour.toISOString();
    const to = toHour.toISOString();
    return [...this.slots.values()]
      .filter((s) => s.subscriptionId === subscriptionId && s.dimension === dimension && s.hour >= from && s.hour <= to)
      .sort((a, b) => (a.hour < b.hour ? -1 : 1))
      .map((slot) => ({ ...slot }));
  }

  async readSlot(key: SlotKey): Promise<ReportingSlot | undefined> {
    return this.slot(key.subscriptionId, key.dimension, key.hour);
  }

  async account(step: SlotAccounting): Promise<'written' | 'conflict'> {
    await this.beforeAccount?.(step);
    const id = keyOf(step.slot);
    const slot = this.slots.get(id);
    const quantity = slot?.quantity ?? new Dec(0);
    if (!quantity.equals(step.expected.quantity) || (slot?.reportVersion ?? 0) !== step.expected.reportVersion) {
      return 'conflict';
    }
    if (step.meter && !this.meterVersionIs(step.meter)) return 'conflict';
    if (step.meter) this.storeMeter(step.meter);
    const next: Mutable<ReportingSlot> = slot ?? {
      ...step.slot,
      quantity: new Dec(0),
      accountedQuantity: new Dec(0),
      lateQuantity: new Dec(0),
      unreportableQuantity: new Dec(0),
      indexed: false,
      reportVersion: 0,
    };
    next.accountedQuantity = new Dec(step.accountedQuantity);
    if (step.addLate) next.lateQuantity = next.lateQuantity.plus(step.addLate);
    if (step.addUnreportable) next.unreportableQuantity = next.unreportableQuantity.plus(step.addUnreportable);
    if (step.submission) next.submission = structuredClone(step.submission);
    if (step.index === 'set') next.indexed = true;
    if (step.index === 'clear') next.indexed = false;
    next.reportVersion += 1;
    this.slots.set(id, next);
    return 'written';
  }

  async recordAnswer(answer: SlotAnswer): Promise<'recorded' | 'notPending' | 'conflict'> {
    const slot = this.slots.get(keyOf(answer.slot));
    if (slot?.submission?.state !== 'pending') return 'notPending';
    if (answer.meter && !this.meterVersionIs(answer.meter)) return 'conflict';
    if (answer.meter) this.storeMeter(answer.meter);
    slot.submission = structuredClone(answer.submission);
    slot.reportVersion += 1;
    if (answer.clearIndex && slot.quantity.equals(slot.accountedQuantity)) slot.indexed = false;
    if (answer.reported) {
      const id = `${answer.slot.hour.slice(0, 10)}|${answer.slot.subscriptionId}|${answer.slot.dimension}`;
      const total = this.reported.get(id) ?? { quantity: new Dec(0), count: 0 };
      this.reported.set(id, { quantity: total.quantity.plus(answer.reported.quantity), count: total.count + 1 });
    }
    return 'recorded';
  }

  async recordAnswers(answers: readonly SlotAnswer[]): Promise<('recorded' | 'notPending' | 'conflict')[]> {
    const outcomes: ('recorded' | 'notPending' | 'conflict')[] = [];
    for (const answer of answers) outcomes.push(await this.recordAnswer(answer));
    return outcomes;
  }

  async writeMeter(meter: MeterState): Promise<'written' | 'conflict'> {
    if (!this.meterVersionIs(meter)) return 'conflict';
    this.storeMeter(meter);
    return 'written';
  }

  async flagSubscription(flag: MeteringFlag): Promise<'created' | 'updated'> {
    const existing = this.flags.get(flag.subscriptionId);
    this.flags.set(flag.subscriptionId, { ...flag, count: (existing?.count ?? 0) + 1 });
    return existing ? 'updated' : 'created';
  }

  async readReportedTotals(fromDay: string, toDay: string): Promise<ReportedTotal[]> {
    return [...this.reported.entries()]
      .map(([id, total]) => {
        const [day = '', subscriptionId = '', dimension = ''] = id.split('|');
        return { day, subscriptionId, dimension, quantity: total.quantity.toString(), eventCount: total.count };
      })
      .filter((total) => total.day >= fromDay && total.day <= toDay);
  }

  private meterVersionIs(meter: MeterState): boolean {
    return (this.meters.get(`${meter.subscriptionId}|${meter.dimension}`)?.version ?? 0) === meter.version;
  }

  private storeMeter(meter: MeterState): void {
    this.meters.set(`${meter.subscriptionId}|${meter.dimension}`, { ...meter, version: meter.version + 1 });
  }
}

function keyOf(key: SlotKey): string {
  return `${key.subscriptionId}|${key.dimension}|${key.hour}`;
}
