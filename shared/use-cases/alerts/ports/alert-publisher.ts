import type { AlertMessage } from '#shared/domain/alerts/alert-message.ts';

/** Publishes an alert on the alerts topic, whose notifier delivers it to the recipient's contacts. */
export interface AlertPublisher {
  /**
   * Publishes one alert, in the shape `#shared/domain/alerts/alert-message.ts` states (fields, JSON form, attributes).
   * @returns the id the messaging service gave the message.
   * @throws Error when it could not be published; nothing was sent, and the caller may retry.
   */
  publish(message: AlertMessage): Promise<{ readonly messageId: string }>;
}
