import type { AlertRecipient, AlertRule, AlertSeverity, StoredFact } from '#shared/domain/alerts/alert.ts';

/** What is published for one alert: routing attributes and the texts for each channel. */
export interface AlertMessage {
  readonly key: string;
  readonly recipient: AlertRecipient;
  readonly rule: AlertRule;
  readonly threshold?: string;
  readonly periodKey: string;
  readonly severity: AlertSeverity;
  readonly subscriptionId: string;
  readonly customerId: string;
  readonly subject: string;
  readonly body: string;
  readonly sms: string;
  /** The numbers the texts quote, amounts as decimal strings: for programmatic subscribers (SQS, HTTPS, Lambda). */
  readonly facts: Readonly<Record<string, StoredFact>>;
}

/** Sends an alert to the channels registered for its recipient (and only those). */
export interface AlertPublisher {
  /**
   * Publishes one alert.
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
