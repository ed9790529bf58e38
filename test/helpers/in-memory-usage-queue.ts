import type { UsageMessage } from '#shared/domain/usage/usage-message.ts';
import type { UsageQueue } from '#shared/use-cases/metering/ports/usage-queue.ts';

/** `UsageQueue` that keeps what was sent; `failNext(error)` makes the next `send` throw having queued nothing. */
export class InMemoryUsageQueue implements UsageQueue {
  readonly sent: UsageMessage[] = [];
  private pendingFailure: unknown;

  failNext(error: unknown = new Error('queue unavailable')): void {
    this.pendingFailure = error;
  }

  async send(messages: readonly UsageMessage[]): Promise<void> {
    if (this.pendingFailure !== undefined) {
      const error = this.pendingFailure;
      this.pendingFailure = undefined;
      throw error;
    }
    this.sent.push(...messages);
  }
}
