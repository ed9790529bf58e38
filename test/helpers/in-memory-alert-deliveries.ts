import type {
  AlertDeliveries,
  ContactDelivery,
  DeliveryClaim,
  DeliverySettlement,
} from '#shared/use-cases/alerts/ports/alert-deliveries.ts';
import { type ContactAddress, contactKey } from '#shared/use-cases/alerts/ports/contact-states.ts';

/** `AlertDeliveries` in a Map, with the adapter's claim rules (test/adapters/dynamo-alert-deliveries.test.ts). */
export class InMemoryAlertDeliveries implements AlertDeliveries {
  readonly records = new Map<string, ContactDelivery & { leaseUntil?: string }>();

  async claim(alertKey: string, contact: ContactAddress, now: Date, leaseUntil: Date): Promise<DeliveryClaim> {
    const key = `${alertKey}|${contactKey(contact)}`;
    const existing = this.records.get(key);
    const claimable =
      !existing ||
      existing.state === 'held' ||
      existing.state === 'retry' ||
      (existing.state === 'sending' && (existing.leaseUntil ?? '') < now.toISOString());
    if (!claimable) return { claimed: false, existing: withoutLease(existing) };
    const attempts = (existing?.attempts ?? 0) + 1;
    this.records.set(key, {
      alertKey,
      contact,
      state: 'sending',
      at: now.toISOString(),
      attempts,
      leaseUntil: leaseUntil.toISOString(),
    });
    return { claimed: true, attempts };
  }

  async settle(
    alertKey: string,
    contact: ContactAddress,
    attempts: number,
    outcome: DeliverySettlement,
    at: Date,
  ): Promise<void> {
    const key = `${alertKey}|${contactKey(contact)}`;
    const existing = this.records.get(key);
    if (existing?.state !== 'sending' || existing.attempts !== attempts) return;
    this.records.set(key, {
      alertKey,
      contact,
      attempts,
      at: at.toISOString(),
      ...(outcome.state === 'sent'
        ? { state: 'sent', messageId: outcome.messageId }
        : { state: outcome.state, reason: outcome.reason }),
    });
  }

  async list(alertKey: string): Promise<ContactDelivery[]> {
    return [...this.records.values()].filter((record) => record.alertKey === alertKey).map(withoutLease);
  }
}

function withoutLease(record: ContactDelivery & { leaseUntil?: string }): ContactDelivery {
  const { leaseUntil: _lease, ...delivery } = record;
  return delivery;
}
