/**
 * Metering at ingest and aggregation: the rules a usage event must meet, its UTC hour slot, the exact sums per
 * slot, and the packing of slots into queue messages that can each be applied in ONE DynamoDB transaction.
 * Pure: no I/O, no clock (the instant is passed in), no hashing (the use case hashes `markerMaterial`).
 *
 * Rule sources: reference/marketplace-api.md §4.3 (one event per resource + dimension + UTC hour; Subscribed only;
 * 24 h window) and §6 items 7–9 (aggregate first; un-zoned timestamps shift hours; expired usage).
 */
import type { Catalog } from './catalog.ts';
import { dimensionIdsOf, findPlan } from './catalog-rules.ts';
import { DomainError, NotFoundError, ValidationError } from './errors.ts';
import { Dec } from './money.ts';
import { periodAt, type Subscription } from './subscription.ts';
import { floorToUtcHour } from './terms.ts';

/**
 * Decimal places a quantity may have. With at most `MAX_QUANTITY_INTEGER_DIGITS` integer digits this is 15
 * significant digits: the most an IEEE double carries exactly. A quantity sent as a JSON number is a double once
 * parsed, and the Metering API's `quantity` is a double too, so a finer quantity could neither reach us nor
 * Microsoft unchanged. Six places still meter micro-units (0.000001 GB ≈ 1 kB).
 */
export const MAX_QUANTITY_DECIMALS = 6;
/** Integer digits of one event's quantity (below one billion units per event); see `MAX_QUANTITY_DECIMALS`. */
export const MAX_QUANTITY_INTEGER_DIGITS = 9;
/** How far ahead of our clock an event may be stamped: tolerates skewed clocks, refuses time-zone mistakes. */
export const MAX_CLOCK_SKEW_MS = 5 * 60_000;
/** DynamoDB's limit on the actions of one TransactWriteItems call. */
export const MAX_TRANSACTION_ITEMS = 100;
/**
 * Items one usage message may need in its transaction (marker + slots + daily and monthly totals). Ten below
 * DynamoDB's 100 so the reporter of a later issue can add bookkeeping to the same transaction without re-packing.
 */
export const USAGE_MESSAGE_ITEM_BUDGET = 90;
/** Version of the queue message format; a message of another version is refused (never half-understood). */
export const USAGE_MESSAGE_VERSION = 1;

export type UsageRejectionReason =
  | 'unknownSubscription'
  | 'notSubscribed'
  | 'unknownDimension'
  | 'invalidQuantity'
  | 'timestampInFuture'
  | 'timestampTooOld';

/** A usage event as the publisher's app sends it (shape already checked at the edge). */
export interface UsageEventInput {
  /** The SaaS subscription id (the Metering API's `resourceId`). */
  readonly subscriptionId: string;
  /** Dimension id exactly as defined in Partner Center (case-sensitive). */
  readonly dimension: string;
  /** A JSON number or a decimal string such as `"0.25"`. */
  readonly quantity: number | string;
  /** ISO 8601 instant with a zone (`Z` or an offset). */
  readonly timestamp: string;
  /** The client's own id for the event; lets a retried request be recognised. */
  readonly id?: string;
}

/** An accepted event, reduced to what aggregation needs. */
export interface AcceptedUsageEvent {
  readonly subscriptionId: string;
  readonly offerId: string;
  readonly dimension: string;
  /** Start of the event's UTC hour, ISO 8601 (`2026-01-15T09:00:00.000Z`). */
  readonly hour: string;
  readonly quantity: Dec;
  readonly id?: string;
}

export type UsageEventVerdict =
  | { readonly status: 'accepted'; readonly event: AcceptedUsageEvent }
  | { readonly status: 'rejected'; readonly reason: UsageRejectionReason; readonly message: string };

export interface UsageValidationContext {
  readonly now: Date;
  /** Oldest acceptable event age. */
  readonly maxLatenessMs: number;
  readonly catalog: Catalog;
  /** The subscription the event names; undefined when there is none. */
  readonly subscription: Subscription | undefined;
}

/**
 * The sum of the accepted events of one (subscription, dimension, UTC hour): what the Metering API gets one event
 * for (after the included quantity is taken off by the reporter).
 */
export interface UsageSlot {
  readonly subscriptionId: string;
  readonly offerId: string;
  readonly dimension: string;
  /** Start of the UTC hour, ISO 8601 with milliseconds (`2026-01-15T09:00:00.000Z`), so it sorts as a string. */
  readonly hour: string;
  /** Exact decimal string (no exponent), > 0. */
  readonly quantity: string;
  readonly eventCount: number;
}

/** A slot and the client ids of the events summed in it (the ids only feed the idempotency marker). */
export interface SlotWithEventIds extends UsageSlot {
  readonly eventIds: readonly string[];
}

/** The slots of one future queue message, fitting one transaction. */
export interface SlotGroup {
  readonly slots: readonly UsageSlot[];
  readonly eventIds: readonly string[];
}

/**
 * The queue message: one transaction's worth of slots plus the marker that makes applying it idempotent.
 * JSON on the wire (see `functions/usage-aggregator/schema.ts`).
 */
export interface UsageMessage {
  readonly version: typeof USAGE_MESSAGE_VERSION;
  /** Applied at most once, ever (within the marker's retention). */
  readonly marker: string;
  readonly slots: readonly UsageSlot[];
}

/** Per-subscription, per-day or per-month addition to the totals, as one message contributes it. */
export interface UsageTotalsDelta {
  readonly subscriptionId: string;
  /** `YYYY-MM-DD` or `YYYY-MM` (UTC). */
  readonly period: string;
  /** Quantity per dimension id, exact. */
  readonly quantities: ReadonlyMap<string, Dec>;
  readonly eventCount: number;
}

/** A queue message that can never be applied (refused every time, so it ends in the dead-letter queue). */
export class InvalidUsageMessageError extends DomainError {}

/** 10^MAX_QUANTITY_INTEGER_DIGITS, built once: ingest checks every event against it. */
const QUANTITY_LIMIT = new Dec(10).pow(MAX_QUANTITY_INTEGER_DIGITS);
/** Plain decimals that pass every bound by their shape alone: up to 9 integer digits and 6 decimals, no sign. */
const PLAIN_QUANTITY = new RegExp(`^\\d{1,${MAX_QUANTITY_INTEGER_DIGITS}}(\\.\\d{1,${MAX_QUANTITY_DECIMALS}})?$`);
const NONZERO_DIGIT = /[1-9]/;

export type QuantityVerdict = { ok: true; value: Dec } | { ok: false; message: string };

/**
 * Parses and checks one event's quantity: finite, > 0, at most 6 decimals and 9 integer digits; strings in plain
 * decimal notation. Never goes through floating-point arithmetic: a JSON number is read from its shortest decimal
 * form, which for the 15 significant digits allowed is exactly the literal the client sent.
 *
 * Ingest runs this for every event (up to 1,000 per request): a quantity whose shape already proves it within the
 * bounds (`PLAIN_QUANTITY` with a non-zero digit, the usual case) is only parsed; anything else goes through
 * `checkQuantity`, which says what is wrong. Both give the same verdict for every input (property-tested).
 */
export function parseQuantity(raw: number | string): QuantityVerdict {
  const text = typeof raw === 'string' ? raw : Number.isFinite(raw) ? String(raw) : undefined;
  if (text !== undefined && PLAIN_QUANTITY.test(text) && NONZERO_DIGIT.test(text)) {
    return { ok: true, value: new Dec(text) };
  }
  return checkQuantity(raw);
}

/** `parseQuantity` by explicit checks, one at a time, each failure with its own message. */
export function checkQuantity(raw: number | string): QuantityVerdict {
  let text: string;
  if (typeof raw === 'number') {
    if (!Number.isFinite(raw)) return { ok: false, message: 'quantity must be a finite number.' };
    text = String(raw);
  } else {
    // A leading minus passes here so that "-5" is told "must be greater than 0" rather than "not a decimal".
    if (!/^-?\d+(\.\d+)?$/.test(raw)) {
      return {
        ok: false,
        message: `quantity "${raw}" is not a decimal in plain notation: send digits with an optional decimal point, e.g. "12.5".`,
      };
    }
    text = raw;
  }
  const value = new Dec(text);
  if (!value.greaterThan(0)) {
    return { ok: false, message: `quantity must be greater than 0 (got ${text}); leave out events with no usage.` };
  }
  if (value.decimalPlaces() > MAX_QUANTITY_DECIMALS) {
    return {
      ok: false,
      message:
        `quantity ${text} has ${value.decimalPlaces()} decimal places; at most ${MAX_QUANTITY_DECIMALS} are kept ` +
        `exactly: round it to ${value.toDecimalPlaces(MAX_QUANTITY_DECIMALS).toString()} or meter in a larger unit.`,
    };
  }
  if (value.greaterThanOrEqualTo(QUANTITY_LIMIT)) {
    return {
      ok: false,
      message: `quantity ${text} is too large for one event (below 1000000000 per event): split it into several events.`,
    };
  }
  return { ok: true, value };
}

/**
 * The metered dimension ids of a plan, looked up once per catalog and plan: a request of 1,000 events asks the same
 * question 1,000 times, and the catalog never changes while a function runs.
 * @throws NotFoundError when the offer or plan is not in the catalog.
 */
const dimensionsByCatalog = new WeakMap<Catalog, Map<string, ReadonlySet<string>>>();
/** The last answer, checked first: the events of one request nearly always name one plan. */
let lastDimensions: { catalog: Catalog; offerId: string; planId: string; ids: ReadonlySet<string> } | undefined;
function meteredDimensionsOf(catalog: Catalog, offerId: string, planId: string): ReadonlySet<string> {
  const last = lastDimensions;
  if (last && last.catalog === catalog && last.offerId === offerId && last.planId === planId) return last.ids;
  let byPlan = dimensionsByCatalog.get(catalog);
  if (!byPlan) {
    byPlan = new Map();
    dimensionsByCatalog.set(catalog, byPlan);
  }
  const key = `${offerId}\u0000${planId}`;
  let ids = byPlan.get(key);
  if (!ids) {
    ids = new Set(dimensionIdsOf(findPlan(catalog, offerId, planId)));
    byPlan.set(key, ids);
  }
  lastDimensions = { catalog, offerId, planId, ids };
  return ids;
}

/** The last hour named, checked first: the events of one request fall in a few hours. */
let lastHour: { start: number; iso: string } = { start: Number.NaN, iso: '' };
/** The UTC hour of an instant, as the ISO string slots are keyed by (`2026-01-15T10:00:00.000Z`). */
function utcHourOf(at: Date): string {
  const start = floorToUtcHour(at).getTime();
  if (start !== lastHour.start) lastHour = { start, iso: new Date(start).toISOString() };
  return lastHour.iso;
}

const reject = (reason: UsageRejectionReason, message: string): UsageEventVerdict => ({
  status: 'rejected',
  reason,
  message,
});

/**
 * Decides whether one event is accepted, checking in this order: quantity, timestamp (future, too old),
 * subscription known, Subscribed at the event's instant, dimension metered on the plan in force at that instant.
 * The first failed rule is the reason given.
 * @throws ValidationError only for a timestamp that is not an instant at all (the edge schema refuses those).
 */
export function validateUsageEvent(input: UsageEventInput, context: UsageValidationContext): UsageEventVerdict {
  const quantity = parseQuantity(input.quantity);
  if (!quantity.ok) return reject('invalidQuantity', quantity.message);

  const at = new Date(input.timestamp);
  const now = context.now.getTime();
  if (Number.isNaN(at.getTime())) {
    // The edge checks the format, so this is a caller's bug rather than a rejection a client could act on.
    throw new ValidationError(`timestamp "${input.timestamp}" is not an ISO 8601 instant`, 'timestamp');
  }
  if (at.getTime() > now + MAX_CLOCK_SKEW_MS) {
    return reject(
      'timestampInFuture',
      `timestamp ${input.timestamp} is ${describeDuration(at.getTime() - now)} ahead of the server clock ` +
        `(${context.now.toISOString()}); at most ${MAX_CLOCK_SKEW_MS / 60_000} minutes are allowed. ` +
        'Check the sending machine’s clock, and send UTC (`Z`) or an explicit offset.',
    );
  }
  if (at.getTime() < now - context.maxLatenessMs) {
    return reject(
      'timestampTooOld',
      `timestamp ${input.timestamp} is ${describeDuration(now - at.getTime())} old; usage older than ` +
        `${context.maxLatenessMs / 3_600_000} hours is refused (setting USAGE_MAX_LATENESS_HOURS). ` +
        'Send usage as it happens; Microsoft accepts metered usage only within 24 hours.',
    );
  }

  const subscription = context.subscription;
  if (!subscription) {
    return reject(
      'unknownSubscription',
      `no subscription with id ${input.subscriptionId}: send the SaaS subscription id from the landing page ` +
        '(Resolve), not the Azure subscription id or the tenant id.',
    );
  }
  const period = periodAt(subscription, at);
  if (period?.status !== 'Subscribed') {
    return reject(
      'notSubscribed',
      period
        ? `subscription ${subscription.id} was ${period.status} at ${input.timestamp}; usage is accepted only for ` +
            'times when it was Subscribed (activated and not suspended or cancelled).'
        : `subscription ${subscription.id} did not exist yet at ${input.timestamp}; usage is accepted only for ` +
            'times when it was Subscribed.',
    );
  }

  let dimensionIds: ReadonlySet<string>;
  try {
    dimensionIds = meteredDimensionsOf(context.catalog, subscription.offerId, period.planId);
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error;
    return reject(
      'unknownDimension',
      `plan "${period.planId}" of offer "${subscription.offerId}" (in force at ${input.timestamp}) is not in the ` +
        'plan catalog, so no dimension can be checked: ask the operator to add it to the catalog.',
    );
  }
  if (!dimensionIds.has(input.dimension)) {
    const valid =
      dimensionIds.size === 0
        ? 'the plan has no metered dimensions'
        : `valid dimensions: ${[...dimensionIds].map((id) => `"${id}"`).join(', ')}`;
    return reject(
      'unknownDimension',
      `dimension "${input.dimension}" is not metered on plan "${period.planId}" (in force at ${input.timestamp}); ` +
        `${valid} (ids are case-sensitive).`,
    );
  }

  return {
    status: 'accepted',
    event: {
      subscriptionId: subscription.id,
      offerId: subscription.offerId,
      dimension: input.dimension,
      hour: utcHourOf(at),
      quantity: quantity.value,
      ...(input.id === undefined ? {} : { id: input.id }),
    },
  };
}

/**
 * Sums accepted events per (subscription, dimension, UTC hour), exactly, in a deterministic order: subscription,
 * then hour, then dimension (plain code-unit comparison, never locale-dependent), so slots of one day sit together
 * and share their daily-total item when packed.
 */
export function aggregateIntoSlots(events: readonly AcceptedUsageEvent[]): SlotWithEventIds[] {
  const sums = new Map<string, { event: AcceptedUsageEvent; quantity: Dec; count: number; ids: string[] }>();
  for (const event of events) {
    const key = slotKey(event);
    const sum = sums.get(key);
    if (sum) {
      sum.quantity = sum.quantity.plus(event.quantity);
      sum.count += 1;
      if (event.id !== undefined) sum.ids.push(event.id);
    } else {
      sums.set(key, { event, quantity: event.quantity, count: 1, ids: event.id === undefined ? [] : [event.id] });
    }
  }
  return [...sums.values()]
    .map(({ event, quantity, count, ids }) => ({
      subscriptionId: event.subscriptionId,
      offerId: event.offerId,
      dimension: event.dimension,
      hour: event.hour,
      quantity: quantity.toString(),
      eventCount: count,
      eventIds: ids,
    }))
    .sort(compareSlots);
}

/**
 * Packs slots into groups that each fit one transaction of at most `budget` items, greedily in the given order
 * (deterministic: the same slots give the same groups). Every slot lands in exactly one group.
 * @throws RangeError when the budget cannot hold even one slot (marker + slot + day + month = 4 items).
 */
export function packSlots(slots: readonly SlotWithEventIds[], budget = USAGE_MESSAGE_ITEM_BUDGET): SlotGroup[] {
  if (budget < 4 || budget > MAX_TRANSACTION_ITEMS) {
    throw new RangeError(`item budget ${budget} must be between 4 and ${MAX_TRANSACTION_ITEMS}`);
  }
  const groups: SlotGroup[] = [];
  let current: SlotWithEventIds[] = [];
  let days = new Set<string>();
  let months = new Set<string>();
  const close = () => {
    if (current.length === 0) return;
    groups.push({ slots: current.map(withoutEventIds), eventIds: current.flatMap((slot) => slot.eventIds) });
    current = [];
    days = new Set();
    months = new Set();
  };
  for (const slot of slots) {
    const day = totalsKey(slot, 'day');
    const month = totalsKey(slot, 'month');
    const cost = 1 + (days.has(day) ? 0 : 1) + (months.has(month) ? 0 : 1);
    // 1 for the marker item, plus what the group holds already.
    if (1 + current.length + days.size + months.size + cost > budget) close();
    current.push(slot);
    days.add(day);
    months.add(month);
  }
  close();
  return groups;
}

/** Items the transaction of these slots writes: the marker, each slot, and one total per subscription and day/month. */
export function transactionItemCount(slots: readonly UsageSlot[]): number {
  const days = new Set(slots.map((slot) => totalsKey(slot, 'day')));
  const months = new Set(slots.map((slot) => totalsKey(slot, 'month')));
  return 1 + slots.length + days.size + months.size;
}

/**
 * The content a message's marker is derived from, when it can be derived at all:
 * - with an `Idempotency-Key`: the key plus the message content;
 * - else, when every event of the request carried an id: the sorted ids of this message's events plus its content;
 * - else nothing (undefined): the caller uses a random marker, so SQS redelivery is still recognised but a client
 *   retry is not (clients should send ids or a key).
 * The content is part of the material so a key reused for different usage never silently drops it.
 */
export function markerMaterial(
  group: SlotGroup,
  request: { readonly idempotencyKey?: string; readonly everyEventHasId: boolean },
): string | undefined {
  const content = canonicalSlotsContent(group.slots);
  if (request.idempotencyKey !== undefined) return JSON.stringify(['idempotencyKey', request.idempotencyKey, content]);
  if (request.everyEventHasId) {
    const ids = [...group.eventIds].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return JSON.stringify(['eventIds', ids, content]);
  }
  return undefined;
}

/** A canonical text of the slots (fixed field order, normalised decimals) for hashing. */
export function canonicalSlotsContent(slots: readonly UsageSlot[]): string {
  return JSON.stringify(
    slots.map((slot) => [
      slot.subscriptionId,
      slot.offerId,
      slot.dimension,
      slot.hour,
      new Dec(slot.quantity).toString(),
      slot.eventCount,
    ]),
  );
}

/**
 * Checks that a message can be applied in one transaction: known version, at least one slot, slots unique (a
 * transaction may not touch an item twice), hours at UTC hour starts, quantities > 0, counts ≥ 1, and at most
 * `MAX_TRANSACTION_ITEMS` items.
 * @throws InvalidUsageMessageError saying what is wrong; such a message can never be applied.
 */
export function assertApplicableMessage(message: UsageMessage): void {
  if (message.version !== USAGE_MESSAGE_VERSION) {
    throw new InvalidUsageMessageError(`usage message version ${String(message.version)} is not supported`);
  }
  if (message.slots.length === 0) throw new InvalidUsageMessageError('usage message has no slots');
  const keys = new Set<string>();
  for (const slot of message.slots) {
    const key = slotKey(slot);
    if (keys.has(key)) {
      throw new InvalidUsageMessageError(
        `usage message lists slot ${slot.subscriptionId}/${slot.dimension}/${slot.hour} twice`,
      );
    }
    keys.add(key);
    const hour = new Date(slot.hour);
    if (Number.isNaN(hour.getTime()) || floorToUtcHour(hour).toISOString() !== slot.hour) {
      throw new InvalidUsageMessageError(`slot hour "${slot.hour}" is not the start of a UTC hour`);
    }
    if (!/^\d+(\.\d+)?$/.test(slot.quantity) || !new Dec(slot.quantity).greaterThan(0)) {
      throw new InvalidUsageMessageError(`slot quantity "${slot.quantity}" is not a decimal greater than 0`);
    }
    if (!Number.isInteger(slot.eventCount) || slot.eventCount < 1) {
      throw new InvalidUsageMessageError(`slot event count ${slot.eventCount} is not a whole number ≥ 1`);
    }
  }
  const items = transactionItemCount(message.slots);
  if (items > MAX_TRANSACTION_ITEMS) {
    throw new InvalidUsageMessageError(
      `usage message needs ${items} transaction items; DynamoDB allows ${MAX_TRANSACTION_ITEMS}`,
    );
  }
}

/**
 * What a message adds to the per-subscription daily (`YYYY-MM-DD`) or monthly (`YYYY-MM`) UTC totals, one entry per
 * subscription and period, in first-seen order. Quantities only: money is computed from them by the rating engine
 * (a later issue), never here.
 */
export function totalsDeltasOf(slots: readonly UsageSlot[], granularity: 'day' | 'month'): UsageTotalsDelta[] {
  const deltas = new Map<
    string,
    { subscriptionId: string; period: string; quantities: Map<string, Dec>; count: number }
  >();
  for (const slot of slots) {
    const period = periodOfHour(slot.hour, granularity);
    const key = `${slot.subscriptionId}\u0000${period}`;
    let delta = deltas.get(key);
    if (!delta) {
      delta = { subscriptionId: slot.subscriptionId, period, quantities: new Map(), count: 0 };
      deltas.set(key, delta);
    }
    delta.quantities.set(slot.dimension, (delta.quantities.get(slot.dimension) ?? new Dec(0)).plus(slot.quantity));
    delta.count += slot.eventCount;
  }
  return [...deltas.values()].map(({ subscriptionId, period, quantities, count }) => ({
    subscriptionId,
    period,
    quantities,
    eventCount: count,
  }));
}

/** `YYYY-MM-DD` or `YYYY-MM` of an ISO hour (UTC: the hour strings are always `…Z`). */
export function periodOfHour(hour: string, granularity: 'day' | 'month'): string {
  return hour.slice(0, granularity === 'day' ? 10 : 7);
}

function totalsKey(slot: UsageSlot, granularity: 'day' | 'month'): string {
  return `${slot.subscriptionId}\u0000${periodOfHour(slot.hour, granularity)}`;
}

function slotKey(slot: Pick<UsageSlot, 'subscriptionId' | 'dimension' | 'hour'>): string {
  return `${slot.subscriptionId}\u0000${slot.dimension}\u0000${slot.hour}`;
}

function compareSlots(a: UsageSlot, b: UsageSlot): number {
  return (
    compareText(a.subscriptionId, b.subscriptionId) ||
    compareText(a.hour, b.hour) ||
    compareText(a.dimension, b.dimension)
  );
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function withoutEventIds({ eventIds: _ids, ...slot }: SlotWithEventIds): UsageSlot {
  return slot;
}

function describeDuration(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  if (minutes < 120) return `${minutes} minutes`;
  const hours = Math.round(ms / 3_600_000);
  return hours < 48 ? `${hours} hours` : `${Math.round(hours / 24)} days`;
}
