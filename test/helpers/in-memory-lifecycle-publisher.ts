import type { LifecycleEvent, LifecyclePublisher } from '#shared/use-cases/fulfillment/ports/lifecycle-publisher.ts';

/** `LifecyclePublisher` that keeps what it was given; `failNext` makes the next publishes throw (a topic outage). */
export class InMemoryLifecyclePublisher implements LifecyclePublisher {
  readonly published: LifecycleEvent[] = [];
  private failures = 0;

  failNext(times = 1): void {
    this.failures = times;
  }

  async publish(event: LifecycleEvent): Promise<void> {
    if (this.failures > 0) {
      this.failures -= 1;
      throw new Error('topic unavailable');
    }
    this.published.push(structuredClone(event));
  }
}
