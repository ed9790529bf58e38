/**
 * The audit trail of a subscription (issue 4 part 3): every webhook received, every marketplace call made and every
 * landing-page step, with the ids Microsoft support asks for (reference/marketplace-api.md §1.1: request and
 * correlation ids). Kept with the subscription and never deleted with it.
 */

/**
 * `webhook`: a notification from Microsoft; `marketplaceCall`: a call we made; `landing`: a landing-page step;
 * `sync`: what the subscription sync concluded from Microsoft's answers (e.g. a purchase deleted unfulfilled);
 * `publisherOperation`: what the publisher API decided on its own (a credit-level override).
 */
export type AuditKind = 'webhook' | 'marketplaceCall' | 'landing' | 'sync' | 'publisherOperation';

export interface AuditEntry {
  readonly subscriptionId: string;
  readonly at: Date;
  readonly kind: AuditKind;
  /** What happened, e.g. `ChangePlan InProgress (operation …)`, `getOperation`, `activate`. */
  readonly what: string;
  /** How it ended, e.g. `applied`, `rejected: plan "x" …`, `200`, `MarketplaceBadRequestError 400`. */
  readonly result: string;
  /** Webhooks and landing: the API Gateway request id; marketplace calls: the `x-ms-requestid` of the last attempt. */
  readonly requestId?: string;
  /** The `x-ms-correlationid` that ties the calls of one webhook or landing visit together. */
  readonly correlationId?: string;
  /** Who did it, when a signed-in user did (e.g. who activated on the landing page). */
  readonly actor?: AuditActor;
}

/** A user signed in with Microsoft, as the audit trail names them. */
export interface AuditActor {
  readonly tenantId: string;
  readonly objectId: string;
  readonly name?: string;
  readonly email?: string;
}

export interface AuditQuery {
  /** Page size, 1 to 100 (default 50). */
  readonly limit?: number;
  readonly cursor?: string;
}

export interface AuditPage {
  /** Newest first. */
  readonly entries: readonly AuditEntry[];
  readonly nextCursor?: string;
}

export interface AuditLog {
  /** Appends one entry (never overwrites another, even at the same instant). */
  record(entry: AuditEntry): Promise<void>;
  /**
   * A subscription's trail, newest first.
   * @throws ValidationError for a limit out of range or a cursor this log did not issue for that subscription.
   */
  list(subscriptionId: string, query?: AuditQuery): Promise<AuditPage>;
}
