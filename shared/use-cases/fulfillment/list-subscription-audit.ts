import { type Principal, requirePublisher } from '#shared/domain/access.ts';
import { NotFoundError } from '#shared/domain/errors.ts';
import type { AuditEntry, AuditLog } from '../ports/audit-log.ts';
import type { SubscriptionStore } from '../ports/subscription-store.ts';

export interface ListSubscriptionAuditDeps {
  readonly audit: Pick<AuditLog, 'list'>;
  readonly subscriptions: Pick<SubscriptionStore, 'get'>;
}

/** One audit entry as the API shows it. */
export interface AuditEntryView {
  readonly at: string;
  readonly kind: AuditEntry['kind'];
  readonly what: string;
  readonly result: string;
  readonly requestId?: string;
  readonly correlationId?: string;
}

export interface AuditTrailPage {
  readonly subscriptionId: string;
  /** Newest first. */
  readonly entries: readonly AuditEntryView[];
  /** Pass as `cursor` for the next (older) page; absent on the last page. */
  readonly nextCursor?: string;
}

/**
 * A subscription's audit trail (issue 4: every webhook received and every marketplace call made, with Microsoft's
 * request and correlation ids), newest first, for a publisher key only.
 *
 * Publisher only, not owner-scoped: the trail is operational evidence for support cases with Microsoft, which only the
 * publisher can open, and it carries what partners and customers must not see of each other: the reasons our
 * policies gave for refusing a change (a reseller's credit decision about its customer), forged or mismatched webhook
 * attempts, and Microsoft's request ids. Partners and customers read the subscription and its entitlement instead.
 *
 * Entries are kept even for subscriptions never stored (a webhook naming an unknown subscription is recorded under
 * it), so the trail is answered whenever it has entries. DynamoDB reads: 1 Query; plus 1 GetItem when the first page
 * is empty (to tell "nothing recorded yet" from "no such subscription").
 *
 * @throws ForbiddenError for a partner or customer key.
 * @throws ValidationError for a limit out of 1–100 or a cursor this API did not issue for this subscription.
 * @throws NotFoundError when nothing is known of the subscription: not stored and no entry recorded.
 */
export async function listSubscriptionAudit(
  deps: ListSubscriptionAuditDeps,
  caller: Principal,
  input: { readonly subscriptionId: string; readonly limit?: number; readonly cursor?: string },
): Promise<AuditTrailPage> {
  requirePublisher(caller, 'read the audit trail of a subscription');
  const { subscriptionId } = input;
  const page = await deps.audit.list(subscriptionId, {
    ...(input.limit === undefined ? {} : { limit: input.limit }),
    ...(input.cursor === undefined ? {} : { cursor: input.cursor }),
  });
  if (page.entries.length === 0 && input.cursor === undefined && !(await deps.subscriptions.get(subscriptionId))) {
    throw new NotFoundError(`No subscription with id ${subscriptionId}, and nothing recorded about it.`);
  }
  return {
    subscriptionId,
    entries: page.entries.map((entry) => ({
      at: entry.at.toISOString(),
      kind: entry.kind,
      what: entry.what,
      result: entry.result,
      ...(entry.requestId ? { requestId: entry.requestId } : {}),
      ...(entry.correlationId ? { correlationId: entry.correlationId } : {}),
      ...(entry.actor ? { actor: entry.actor } : {}),
    })),
    ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
  };
}
