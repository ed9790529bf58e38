/**
 * Marketplace Metering Service API (reference §4): single event, batch of 1–25, and retrieval.
 *
 * Per event, in this order (the reference gives the statuses, not the order; the order below is the emulator's):
 * 1. `BadArgument`: a field missing or of the wrong type (resourceId, quantity, dimension, effectiveStartTime, planId);
 * 2. `InvalidQuantity`: quantity ≤ 0;
 * 3. `Expired`: effectiveStartTime more than 24 h before the emulator's now, or after it (§4.3, issue #3);
 * 4. `ResourceNotFound`: no subscription with that id;
 * 5. `ResourceNotActive`: the subscription was not Subscribed at any instant of the event's UTC hour, so usage of
 *    hours before a cancellation or suspension stays accepted within the 24 h window (§4.3 "Status");
 * 6. `BadArgument`: planId is not a plan the subscription was on during that hour. The reference does not say what
 *    Microsoft does here; a mismatch is most likely a publisher bug (§4.4: send the plan active during that hour), so
 *    the emulator refuses it rather than bill it on the wrong plan;
 * 7. `InvalidDimension`: the dimension is not enabled on that plan in the catalog;
 * 8. `Duplicate`: an event was already accepted for resourceId + dimension + UTC hour (§4.3).
 *
 * Timestamps without a zone designator are read as UTC (the service runs in UTC; §6.8 warns against sending them).
 * Single-event HTTP statuses: 200 Accepted, 409 Duplicate, 400 for every other status (§4.1; the reference lists no
 * other code for ResourceNotFound, so 400 it is).
 */
import { randomUUID } from 'node:crypto';
import { meteringError, meteringErrorBody } from './errors.ts';
import { isRecord, parseJson } from './http.ts';
import { findOffer, findPlan } from './plans.ts';
import type { EmulatorCore, Route } from './router.ts';
import { type AcceptedUsageEvent, iso, plansDuring, wasSubscribedDuring } from './state.ts';

/** §4.1 batch: `minItems 1`, `maxItems 25`. */
export const MAX_BATCH = 25;
const HOUR_MS = 3600_000;
/** §4.3: "effectiveStartTime may be at most 24 h in the past". */
const LATENESS_MS = 24 * HOUR_MS;
/** §4.1: a rejected batch item carries this messageTime. */
const NO_MESSAGE_TIME = '0001-01-01T00:00:00';

/** `StatusEnum` of §4.1. */
export type UsageEventStatus =
  | 'Accepted'
  | 'Expired'
  | 'Duplicate'
  | 'Error'
  | 'ResourceNotFound'
  | 'ResourceNotAuthorized'
  | 'ResourceNotActive'
  | 'InvalidDimension'
  | 'InvalidQuantity'
  | 'BadArgument';

type Outcome =
  | { status: 'Accepted'; event: AcceptedUsageEvent }
  | { status: 'Duplicate'; accepted: AcceptedUsageEvent; echo: Record<string, unknown> }
  | {
      status: Exclude<UsageEventStatus, 'Accepted' | 'Duplicate'>;
      target: string;
      message: string;
      echo: Record<string, unknown>;
    };

/** Parses a date-time; no zone designator means UTC. */
export function parseUtc(value: string): Date | undefined {
  const text = value.trim();
  if (!/^\d{4}-\d{2}-\d{2}/.test(text)) return undefined;
  const hasZone = /(Z|[+-]\d{2}:?\d{2})$/i.test(text);
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(text);
  const date = new Date(dateOnly ? `${text}T00:00:00Z` : hasZone ? text : `${text}Z`);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

export function slotKey(resourceId: string, dimension: string, hourStart: Date): string {
  return `${resourceId.toLowerCase()}|${dimension}|${hourStart.toISOString()}`;
}

export function meteringRoutes(core: EmulatorCore): Route[] {
  const { state, clock } = core;

  function evaluate(raw: unknown): Outcome {
    const event = isRecord(raw) ? raw : {};
    const echo: Record<string, unknown> = {
      resourceId: event.resourceId,
      quantity: event.quantity,
      dimension: event.dimension,
      effectiveStartTime: event.effectiveStartTime,
      planId: event.planId,
    };
    const bad = (target: string, message: string): Outcome => ({ status: 'BadArgument', target, message, echo });
    if (!isRecord(raw)) return bad('usageEvent', 'The usage event must be a JSON object.');
    if (typeof event.resourceId !== 'string' || event.resourceId.trim() === '') {
      return bad('ResourceId', 'The resourceId is required.');
    }
    if (typeof event.quantity !== 'number' || !Number.isFinite(event.quantity)) {
      return bad('Quantity', 'The quantity is required and must be a number.');
    }
    if (typeof event.dimension !== 'string' || event.dimension === '') {
      return bad('Dimension', 'The dimension is required.');
    }
    if (typeof event.effectiveStartTime !== 'string') {
      return bad('EffectiveStartTime', 'The effectiveStartTime is required.');
    }
    const effectiveStart = parseUtc(event.effectiveStartTime);
    if (!effectiveStart) return bad('EffectiveStartTime', 'The effectiveStartTime is not a valid date-time.');
    if (typeof event.planId !== 'string' || event.planId === '') return bad('PlanId', 'The planId is required.');
    const { resourceId, quantity, dimension, planId } = event;
    if (quantity <= 0) {
      return { status: 'InvalidQuantity', target: 'Quantity', message: 'The quantity must be greater than 0.', echo };
    }
    const now = clock.nowMs();
    if (effectiveStart.getTime() < now - LATENESS_MS || effectiveStart.getTime() > now) {
      return {
        status: 'Expired',
        target: 'EffectiveStartTime',
        message: 'The effectiveStartTime must be within the last 24 hours and not in the future.',
        echo,
      };
    }
    const subscription = state.subscriptions.get(resourceId.trim());
    if (!subscription) {
      return { status: 'ResourceNotFound', target: 'ResourceId', message: `Resource ${resourceId} not found.`, echo };
    }
    const hourStart = new Date(Math.floor(effectiveStart.getTime() / HOUR_MS) * HOUR_MS);
    const hourEnd = new Date(hourStart.getTime() + HOUR_MS);
    if (!wasSubscribedDuring(subscription, hourStart, hourEnd)) {
      return {
        status: 'ResourceNotActive',
        target: 'ResourceId',
        message: `Subscription ${subscription.id} was not Subscribed during ${iso(hourStart)}.`,
        echo,
      };
    }
    if (!plansDuring(subscription, hourStart, hourEnd).includes(planId)) {
      return bad(
        'PlanId',
        `Plan ${planId} is not the plan of subscription ${subscription.id} during ${iso(hourStart)}.`,
      );
    }
    const plan = findPlan(findOffer(core.catalog, subscription.offerId), planId);
    if (!plan?.meteredDimensions.some((candidate) => candidate.dimensionId === dimension)) {
      return {
        status: 'InvalidDimension',
        target: 'Dimension',
        message: `Dimension ${dimension} is not valid for plan ${planId}.`,
        echo,
      };
    }
    const key = slotKey(subscription.id, dimension, hourStart);
    const accepted = state.ledgerBySlot.get(key);
    if (accepted) return { status: 'Duplicate', accepted, echo };
    const record: AcceptedUsageEvent = {
      usageEventId: randomUUID(),
      status: 'Accepted',
      messageTime: iso(clock.now()),
      resourceId: subscription.id,
      quantity,
      dimension,
      effectiveStartTime: iso(effectiveStart),
      planId,
    };
    state.ledger.push(record);
    state.ledgerBySlot.set(key, record);
    return { status: 'Accepted', event: record };
  }

  /** §4.1 409 body: the originally accepted event in `additionalInfo.acceptedMessage`. */
  const duplicateBody = (accepted: AcceptedUsageEvent) => ({
    additionalInfo: { acceptedMessage: { ...accepted, status: 'Duplicate' } },
    message: 'This usage event already exist.',
    code: 'Conflict',
  });

  const batchItem = (outcome: Outcome): Record<string, unknown> => {
    switch (outcome.status) {
      case 'Accepted':
        return { ...outcome.event };
      case 'Duplicate':
        return {
          status: 'Duplicate',
          messageTime: NO_MESSAGE_TIME,
          error: duplicateBody(outcome.accepted),
          ...outcome.echo,
        };
      default:
        return {
          status: outcome.status,
          messageTime: NO_MESSAGE_TIME,
          error: { message: outcome.message, target: outcome.target, code: outcome.status },
          ...outcome.echo,
        };
    }
  };

  const bodyOf = (raw: string) =>
    parseJson(raw, () => meteringError(400, 'BadArgument', 'The request body is not valid JSON.'));

  return [
    {
      name: 'usageEvent',
      group: 'metering',
      method: 'POST',
      pattern: /^\/usageEvent$/,
      handle({ rawBody }) {
        const outcome = evaluate(bodyOf(rawBody));
        switch (outcome.status) {
          case 'Accepted':
            return { status: 200, body: outcome.event };
          case 'Duplicate':
            return { status: 409, body: duplicateBody(outcome.accepted) };
          default:
            return { status: 400, body: meteringErrorBody(outcome.status, outcome.message, outcome.target) };
        }
      },
    },
    {
      name: 'batchUsageEvent',
      group: 'metering',
      method: 'POST',
      pattern: /^\/batchUsageEvent$/,
      handle({ rawBody }) {
        const body = bodyOf(rawBody);
        const events = isRecord(body) ? body.request : undefined;
        if (!Array.isArray(events)) {
          throw meteringError(400, 'BadArgument', 'The body must be {"request": [usage events]}.', 'request');
        }
        if (events.length < 1 || events.length > MAX_BATCH) {
          throw meteringError(
            400,
            'BadArgument',
            `A batch must hold between 1 and ${MAX_BATCH} usage events; it has ${events.length}.`,
            'request',
          );
        }
        // Sequential: two events of one slot in a batch give Accepted then Duplicate.
        const result = events.map((event) => batchItem(evaluate(event)));
        return { status: 200, body: { count: result.length, result } };
      },
    },
    {
      name: 'usageEvents',
      group: 'metering',
      method: 'GET',
      pattern: /^\/usageEvents$/,
      handle({ url }) {
        const query = url.searchParams;
        const startText = query.get('usageStartDate');
        const start = startText === null ? undefined : parseUtc(startText);
        if (!start) {
          throw meteringError(400, 'BadArgument', 'usageStartDate is required (ISO 8601).', 'usageStartDate');
        }
        // §4.2: `UsageEndDate` with a capital U (both spellings accepted); default today. A date-only end includes
        // the whole day.
        const endText = query.get('UsageEndDate') ?? query.get('usageEndDate');
        let end: Date;
        if (endText === null) {
          end = new Date(Math.floor(clock.nowMs() / (24 * HOUR_MS)) * 24 * HOUR_MS + 24 * HOUR_MS);
        } else {
          const parsed = parseUtc(endText);
          if (!parsed) throw meteringError(400, 'BadArgument', 'UsageEndDate is not a valid date.', 'UsageEndDate');
          end = /^\d{4}-\d{2}-\d{2}$/.test(endText.trim()) ? new Date(parsed.getTime() + 24 * HOUR_MS) : parsed;
        }
        const filters = {
          offerId: query.get('offerId'),
          planId: query.get('planId'),
          dimension: query.get('dimension'),
          azureSubscriptionId: query.get('azureSubscriptionId'),
          reconStatus: query.get('reconStatus'),
        };
        // Rows aggregated per day, resource, dimension and plan: what the doc samples show (§4.2, inferred).
        const rows = new Map<string, Record<string, unknown> & { submittedQuantity: number; submittedCount: number }>();
        for (const event of state.ledger) {
          const time = new Date(event.effectiveStartTime).getTime();
          if (time < start.getTime() || time >= end.getTime()) continue;
          const subscription = state.subscriptions.get(event.resourceId);
          const offer = subscription ? findOffer(core.catalog, subscription.offerId) : undefined;
          const plan = findPlan(offer, event.planId);
          if (filters.offerId && filters.offerId !== offer?.id) continue;
          if (filters.planId && filters.planId !== event.planId) continue;
          if (filters.dimension && filters.dimension !== event.dimension) continue;
          // SaaS usage has no Azure subscription; the emulator only stores accepted (reconciled) usage.
          if (filters.azureSubscriptionId) continue;
          if (filters.reconStatus && filters.reconStatus !== 'Accepted') continue;
          const usageDate = new Date(Math.floor(time / (24 * HOUR_MS)) * 24 * HOUR_MS).toISOString();
          const key = `${usageDate}|${event.resourceId}|${event.dimension}|${event.planId}`;
          const row = rows.get(key) ?? {
            usageDate,
            usageResourceId: event.resourceId,
            dimension: event.dimension,
            planId: event.planId,
            planName: plan?.displayName ?? event.planId,
            offerId: offer?.id ?? '',
            offerName: offer?.displayName ?? '',
            offerType: 'SaaS',
            azureSubscriptionId: '',
            reconStatus: 'Accepted',
            submittedQuantity: 0,
            processedQuantity: 0,
            submittedCount: 0,
          };
          row.submittedQuantity += event.quantity;
          row.processedQuantity = row.submittedQuantity;
          row.submittedCount += 1;
          rows.set(key, row);
        }
        return { status: 200, body: [...rows.values()] };
      },
    },
  ];
}
