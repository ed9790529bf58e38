import type {
  ContactAddress,
  ContactStateChanges,
  UndeliverableStatus,
} from '#shared/use-cases/alerts/ports/contact-states.ts';

/**
 * What a channel's delivery event says about a contact, once read (shared/adapters/delivery-events/):
 * - `bounced`: the address or number does not exist, or the mailbox refuses mail for good (an SES permanent bounce,
 *   an SMS to an invalid number);
 * - `complained`: the person marked a message as spam;
 * - `optedOut`: the person replied STOP (or the channel says the number is on its opt-out list);
 * - `ignored`: nothing to change: a delivery, a transient bounce, an unreachable phone, a queued text. Kept so the
 *   handler can count and log what it read.
 */
export interface ContactDeliveryEvent {
  readonly contact: ContactAddress;
  readonly effect: UndeliverableStatus | 'ignored';
  /** When the channel saw it (the event's own time). */
  readonly at: Date;
  /** What the channel called it (`Bounce/Permanent`, `TEXT_INVALID`, `inbound STOP`), for the log. */
  readonly cause: string;
}

/**
 * Puts each contact an event makes undeliverable in that state (`markUndeliverable`, which also creates the state
 * of an address never registered: a bounce may arrive for any address, and it must hold if the address is typed into
 * a form later). Events that change nothing are skipped. Applying an event twice is harmless (a redelivered message).
 * @returns how many events changed a state and how many were ignored.
 * @throws Error when a state cannot be stored (the message is retried).
 */
export async function applyDeliveryEvents(
  deps: { readonly changes: Pick<ContactStateChanges, 'markUndeliverable'> },
  events: readonly ContactDeliveryEvent[],
): Promise<{ readonly applied: number; readonly ignored: number }> {
  let applied = 0;
  for (const event of events) {
    if (event.effect === 'ignored') continue;
    await deps.changes.markUndeliverable(event.contact, event.effect, event.at);
    applied++;
  }
  return { applied, ignored: events.length - applied };
}
