import { type AlertRecipient, recipientAddress } from '#shared/domain/alerts/alert.ts';
import type { AlertMessage } from '#shared/domain/alerts/alert-message.ts';
import type {
  AlertHistoryPage,
  AlertHistoryQuery,
  AlertLog,
  AlertLogEntry,
  NewAlertEntry,
  RecordResult,
} from '#shared/use-cases/alerts/ports/alert-log.ts';
import type { AlertPublisher } from '#shared/use-cases/alerts/ports/alert-publisher.ts';

/** The alert log in memory, with the same once-only and compare-and-set semantics as `DynamoAlertLog`. */
export class InMemoryAlertLog implements AlertLog {
  readonly entries = new Map<string, AlertLogEntry>();
  /** When set, the next `markSent` fails (a crash between publishing and marking). */
  failNextMarkSent = false;

  async record(entry: NewAlertEntry): Promise<RecordResult> {
    const existing = this.entries.get(entry.key);
    if (existing) return { outcome: 'duplicate', entry: existing };
    const stored: AlertLogEntry = { ...entry, state: 'pending', attempts: 1 };
    this.entries.set(entry.key, stored);
    return { outcome: 'new', entry: stored };
  }

  async claim(key: string, expectedAttempts: number, leaseUntil: Date): Promise<AlertLogEntry | undefined> {
    const existing = this.entries.get(key);
    if (existing?.state !== 'pending' || existing.attempts !== expectedAttempts) return undefined;
    const claimed = { ...existing, attempts: existing.attempts + 1, leaseUntil };
    this.entries.set(key, claimed);
    return claimed;
  }

  async release(key: string, attempts: number, at: Date): Promise<void> {
    const existing = this.entries.get(key);
    if (existing?.state !== 'pending' || existing.attempts !== attempts) return;
    this.entries.set(key, { ...existing, leaseUntil: at });
  }

  async markSent(key: string, sentAt: Date, messageId: string): Promise<void> {
    if (this.failNextMarkSent) {
      this.failNextMarkSent = false;
      throw new Error('simulated crash before marking the alert sent');
    }
    const existing = this.entries.get(key);
    if (!existing) throw new Error(`Alert ${key} is not in the log`);
    this.entries.set(key, { ...existing, state: 'sent', sentAt, messageId });
  }

  async get(key: string): Promise<AlertLogEntry | undefined> {
    return this.entries.get(key);
  }

  async listByRecipient(recipient: AlertRecipient, query: AlertHistoryQuery = {}): Promise<AlertHistoryPage> {
    return this.page((e) => recipientAddress(e.candidate.recipient) === recipientAddress(recipient), query.limit ?? 50);
  }

  async listBySubscription(subscriptionId: string, query: AlertHistoryQuery = {}): Promise<AlertHistoryPage> {
    return this.page((e) => e.candidate.subscriptionId === subscriptionId, query.limit ?? 50);
  }

  private page(filter: (entry: AlertLogEntry) => boolean, limit: number): AlertHistoryPage {
    const entries = [...this.entries.values()]
      .filter(filter)
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())
      .slice(0, limit);
    return { entries };
  }
}

/** A publisher that remembers what it published, and can be told to fail the next publishes. */
export class RecordingPublisher implements AlertPublisher {
  readonly published: AlertMessage[] = [];
  failures = 0;

  async publish(message: AlertMessage): Promise<{ messageId: string }> {
    if (this.failures > 0) {
      this.failures--;
      throw new Error('simulated SNS outage');
    }
    this.published.push(message);
    return { messageId: `message-${this.published.length}` };
  }
}
