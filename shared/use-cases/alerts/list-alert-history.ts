import { type Principal, requireSubscriptionAccess } from '#shared/domain/access.ts';
import { type AlertRecipient, factsToStored, recipientAddress, type StoredFact } from '#shared/domain/alerts/alert.ts';
import { normalizeEntraId } from '#shared/domain/entra-ids.ts';
import { ForbiddenError, NotFoundError, ValidationError } from '#shared/domain/errors.ts';
import type { AlertDeliveries, ContactDelivery } from '#shared/use-cases/alerts/ports/alert-deliveries.ts';
import type { AlertHistoryPage, AlertLog, AlertLogEntry } from '#shared/use-cases/alerts/ports/alert-log.ts';
import type { SubscriptionStore } from '#shared/use-cases/ports/subscription-store.ts';

export interface AlertHistoryInput {
  /** `customer:<id>` or `partner:<id>`. */
  readonly recipient?: string;
  readonly subscriptionId?: string;
  readonly limit?: number;
  readonly cursor?: string;
}

/**
 * The delivery of an alert to one contact: `sent` means the channel (SES, End User Messaging) accepted it for a
 * confirmed contact; `held` waits for the contact to confirm; `suppressed` and `failed` say `reason`.
 */
export interface AlertDeliveryItem {
  readonly channel: 'email' | 'sms';
  readonly address: string;
  readonly state: ContactDelivery['state'];
  readonly reason?: string;
  /** When the state was entered (for `sent`: when the channel accepted it). */
  readonly at: string;
}

/** One alert of the history, as the API shows it. */
export interface AlertHistoryItem {
  readonly key: string;
  readonly recipient: string;
  readonly rule: string;
  readonly threshold?: string;
  readonly periodKey: string;
  readonly severity: string;
  readonly subscriptionId: string;
  readonly customerId: string;
  readonly state: string;
  readonly createdAt: string;
  readonly sentAt?: string;
  readonly locale: string;
  readonly subject: string;
  readonly sms: string;
  readonly facts: Readonly<Record<string, StoredFact>>;
  /**
   * Per contact of the recipient: what the notifier did with this alert. `state` above is whether the alert was
   * published to the alerts topic; only these say whether it reached anyone.
   */
  readonly deliveries: readonly AlertDeliveryItem[];
}

export interface AlertHistory {
  readonly alerts: readonly AlertHistoryItem[];
  readonly nextCursor?: string;
}

/**
 * The alerts sent to a recipient or about a subscription, newest first, paged; each caller sees its own scope only
 * (DESIGN invariant 7: an alert reaches only its own customer or partner, and so does its history):
 * - the publisher sees everything;
 * - a partner sees the alerts addressed to it (by default), or those of one of its subscriptions addressed to it;
 * - a customer sees the alerts addressed to it (`customer:<its tenant id>`, the default for a tenant-wide key), or
 *   the customer alerts of one of its subscriptions: never the partner's alerts about it (credit levels are the
 *   partner's business). A signed-in personal Microsoft account has no tenant-wide recipient (its tenant is every
 *   personal account's): it reads the alerts of its own subscriptions, one `subscriptionId` at a time.
 * @throws ValidationError for a malformed recipient, or when the caller must say which history (publisher keys,
 *   customer keys without a tenant, personal accounts).
 * @throws ForbiddenError for another recipient's or subscription's history.
 * @throws NotFoundError for an unknown subscription.
 */
export async function listAlertHistory(
  deps: {
    readonly alertLog: Pick<AlertLog, 'listByRecipient' | 'listBySubscription'>;
    readonly subscriptions: Pick<SubscriptionStore, 'get'>;
    readonly deliveries: Pick<AlertDeliveries, 'list'>;
  },
  caller: Principal,
  input: AlertHistoryInput,
): Promise<AlertHistory> {
  const query = {
    ...(input.limit === undefined ? {} : { limit: input.limit }),
    ...(input.cursor ? { cursor: input.cursor } : {}),
  };
  const own = ownRecipient(caller);
  const recipient = input.recipient === undefined ? undefined : parseRecipient(input.recipient);

  if (recipient || !input.subscriptionId) {
    const target = recipient ?? own;
    if (!target) {
      throw new ValidationError(
        caller.role === 'customer' && caller.personalObjectId !== undefined
          ? 'say which subscription: a personal Microsoft account reads its alerts per subscription (add subscriptionId)'
          : 'say whose alerts: add recipient=customer:<id> or partner:<id>, or subscriptionId',
        'recipient',
      );
    }
    if (caller.role !== 'publisher' && recipientAddress(target) !== (own && recipientAddress(own))) {
      throw new ForbiddenError(
        `This ${caller.role} key may read only its own alerts, not those of ${recipientAddress(target)}.`,
      );
    }
    const page = await deps.alertLog.listByRecipient(target, query);
    return view(
      deps,
      page,
      (entry) => !input.subscriptionId || entry.candidate.subscriptionId === input.subscriptionId,
    );
  }

  const subscription = await deps.subscriptions.get(input.subscriptionId);
  if (!subscription) throw new NotFoundError(`No subscription with id ${input.subscriptionId}.`);
  requireSubscriptionAccess(caller, subscription);
  const page = await deps.alertLog.listBySubscription(subscription.id, query);
  return view(deps, page, (entry) => {
    switch (caller.role) {
      case 'publisher':
        return true;
      case 'partner':
        return (
          recipientAddress(entry.candidate.recipient) === recipientAddress({ kind: 'partner', id: caller.partnerId })
        );
      case 'customer':
        return entry.candidate.recipient.kind === 'customer';
    }
  });
}

/** `customer:<id>` / `partner:<id>` → a recipient. @throws ValidationError otherwise. */
export function parseRecipient(address: string): AlertRecipient {
  const match = /^(customer|partner):(.+)$/.exec(address);
  if (!match?.[1] || !match[2]) {
    throw new ValidationError(`recipient "${address}" is not customer:<id> or partner:<id>`, 'recipient');
  }
  const kind = match[1] as AlertRecipient['kind'];
  // A customer is its tenant id, stored lower case (entra-ids.ts); a partner id is the publisher's own name.
  return { kind, id: kind === 'customer' ? normalizeEntraId(match[2]) : match[2] };
}

function ownRecipient(caller: Principal): AlertRecipient | undefined {
  if (caller.role === 'partner') return { kind: 'partner', id: caller.partnerId };
  // A personal account has no tenantId (principalOfUser): never the consumer tenant's shared `customer:` recipient.
  if (caller.role === 'customer' && caller.tenantId) return { kind: 'customer', id: normalizeEntraId(caller.tenantId) };
  return undefined;
}

async function view(
  deps: { readonly deliveries: Pick<AlertDeliveries, 'list'> },
  page: AlertHistoryPage,
  keep: (entry: AlertLogEntry) => boolean,
): Promise<AlertHistory> {
  const entries = page.entries.filter(keep);
  // One query per alert, in parallel: a page holds at most 100 alerts, each with a handful of contacts.
  const deliveries = await Promise.all(entries.map((entry) => deps.deliveries.list(entry.key)));
  return {
    alerts: entries.map((entry, index) => toItem(entry, deliveries[index] ?? [])),
    ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
  };
}

function toItem(entry: AlertLogEntry, deliveries: readonly ContactDelivery[]): AlertHistoryItem {
  const { candidate } = entry;
  return {
    key: entry.key,
    recipient: recipientAddress(candidate.recipient),
    rule: candidate.rule,
    ...(candidate.threshold === undefined ? {} : { threshold: candidate.threshold }),
    periodKey: candidate.periodKey,
    severity: candidate.severity,
    subscriptionId: candidate.subscriptionId,
    customerId: candidate.customerId,
    state: entry.state,
    createdAt: entry.createdAt.toISOString(),
    ...(entry.sentAt ? { sentAt: entry.sentAt.toISOString() } : {}),
    locale: entry.locale,
    subject: entry.message.subject,
    sms: entry.message.sms,
    facts: factsToStored(candidate),
    deliveries: deliveries.map((delivery) => ({
      channel: delivery.contact.channel,
      address: delivery.contact.address,
      state: delivery.state,
      ...(delivery.reason === undefined ? {} : { reason: delivery.reason }),
      at: delivery.at,
    })),
  };
}
