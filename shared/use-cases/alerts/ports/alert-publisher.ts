import type { AlertRecipient } from '#shared/domain/alerts/alert.ts';
import type { AlertMessage } from '#shared/domain/alerts/alert-message.ts';

/** Sends an alert to the channels registered for its recipient (and only those). */
export interface AlertPublisher {
  /**
   * Publishes one alert, in the shape `#shared/domain/alerts/alert-message.ts` states (fields, JSON form, attributes).
   * @returns the id the messaging service gave the message.
   * @throws Error when it could not be published; nothing was sent, and the caller may retry.
   */
  publish(message: AlertMessage): Promise<{ readonly messageId: string }>;
}

/** A channel of a recipient: an e-mail address, or a mobile number in E.164. */
export type AlertContact =
  | { readonly protocol: 'email'; readonly address: string }
  | { readonly protocol: 'sms'; readonly phone: string };

/** Registers the channels through which a recipient receives its alerts. */
export interface AlertContactRegistry {
  /**
   * Subscribes a contact to the recipient's alerts, and to nothing else. Idempotent. E-mail contacts receive a
   * confirmation mail first (SNS), and get alerts once they confirm.
   * @returns the subscription's id in the messaging service.
   */
  registerContact(recipient: AlertRecipient, contact: AlertContact): Promise<string>;
  /**
   * Stops a contact receiving the recipient's alerts (other recipients it is registered for keep theirs); when no
   * recipient is left, the contact's subscription is removed. Idempotent: an unknown contact is no error.
   */
  removeContact(recipient: AlertRecipient, contact: AlertContact): Promise<void>;
}
