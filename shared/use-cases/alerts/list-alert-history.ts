import { type Principal, requireSubscriptionAccess } from '#shared/domain/access.ts';
import { type AlertRecipient, factsToStored, recipientAddress, type StoredFact } from '#shared/domain/alerts/alert.ts';
import { isConsumerTenant, normalizeEntraId } from '#shared/domain/entra-ids.ts';
import { ForbiddenError, NotFoundError, ValidationError } from '#shared/domain/errors.ts';
import type { AlertDeliveries, ContactDelivery } from '#shared/use-cases/alerts/ports/alert-deliveries.ts';
import type {
  AlertHistoryPage,
  AlertHistoryQuery,
  AlertLog,
  AlertLogEntry,
} from '#shared/use-cases/alerts/ports/alert-log.ts';
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
 * The alerts outside the caller's scope are skipped before the page is cut (`visiblePage`), so a page holds `limit`
 * alerts while more follow.
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
    const page = await visiblePage(
      (query) => deps.alertLog.listByRecipient(target, query),
      input,
      (entry) => !input.subscriptionId || entry.candidate.subscriptionId === input.subscriptionId,
    );
    return view(deps, page);
  }

  const subscription = await deps.subscriptions.get(input.subscriptionId);
  if (!subscription) throw new NotFoundError(`No subscription with id ${input.subscriptionId}.`);
  requireSubscriptionAccess(caller, subscription);
  const page = await visiblePage(
    (query) => deps.alertLog.listBySubscription(subscription.id, query),
    input,
    (entry) => {
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
    },
  );
  return view(deps, page);
}

/** The alert log's page sizes (`AlertHistoryQuery.limit`): the default and the largest one read. */
const DEFAULT_LIMIT = 50;
const LARGEST_READ = 100;
/**
 * Reads of the log one request may make while skipping alerts the caller may not see (about 1,000 entries): past
 * that the page is returned shorter, with a cursor that goes on from where the reading stopped.
 */
const MAX_READS = 10;

/**
 * A page of up to `limit` alerts that `visible` keeps, with a cursor that resumes right after the last entry read.
 * The log pages over every alert of a recipient or subscription; some are not the caller's to see (a partner's alerts
 * in a customer's history), so one page of the log may hold fewer visible alerts than asked, even none while more
 * follow. So the log is read on until the page is full or the log ends (bounded by `MAX_READS`).
 *
 * A log cursor is the position of the last entry read, so a read must never go past the last entry the page keeps:
 * when a read finds more visible entries than the page has room for, the same stretch is read again, ending at the
 * last one that fits. The entries and the cursor returned always come from the same read, so writes in between
 * cannot make the next page skip or repeat an alert.
 */
async function visiblePage(
  list: (query: AlertHistoryQuery) => Promise<AlertHistoryPage>,
  input: AlertHistoryInput,
  visible: (entry: AlertLogEntry) => boolean,
): Promise<AlertHistoryPage> {
  const limit = input.limit ?? DEFAULT_LIMIT;
  const kept: AlertLogEntry[] = [];
  let cursor = input.cursor || undefined;
  const from = (at: string | undefined) => (at ? { cursor: at } : {});
  for (let read = 0; read < MAX_READS; read++) {
    const room = limit - kept.length;
    // The first read asks for the page itself: when every alert is visible (the publisher, most histories), it is
    // the only one.
    const page = await list({ limit: read === 0 ? room : LARGEST_READ, ...from(cursor) });
    const found = page.entries.filter(visible);
    if (found.length > room) {
      const lastThatFits = page.entries.indexOf(found[room - 1] as AlertLogEntry);
      const exact = await list({ limit: lastThatFits + 1, ...from(cursor) });
      kept.push(...exact.entries.filter(visible));
      return { entries: kept, ...(exact.nextCursor ? { nextCursor: exact.nextCursor } : {}) };
    }
    kept.push(...found);
    cursor = page.nextCursor;
    if (!cursor || kept.length === limit) break;
  }
  return { entries: kept, ...(cursor ? { nextCursor: cursor } : {}) };
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
  // Never the consumer tenant's shared `customer:` recipient: a personal account has no tenantId (principalOfUser),
  // and a customer key stored with that tenant must not read every personal account's alerts.
  if (caller.role === 'customer' && caller.tenantId && !isConsumerTenant(caller.tenantId)) {
    return { kind: 'customer', id: normalizeEntraId(caller.tenantId) };
  }
  return undefined;
}

async function view(
  deps: { readonly deliveries: Pick<AlertDeliveries, 'list'> },
  page: AlertHistoryPage,
): Promise<AlertHistory> {
  const { entries } = page;
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
