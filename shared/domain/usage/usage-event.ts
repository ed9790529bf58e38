/**
 * A usage event at ingest: as the publisher's app sends it, and as it is kept once accepted (reduced to what
 * aggregation needs), with the reasons an event can be refused. The rules that decide are in `ingest-validation.ts`.
 */
import type { Dec } from '#shared/domain/money.ts';

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
