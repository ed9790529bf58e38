import { randomUUID } from 'node:crypto';
import type { UsageEventInput } from '#shared/domain/usage/usage-event.ts';
import {
  type MessageSlot,
  USAGE_MESSAGE_VERSION,
  type UsageMessage,
  type UsageSlot,
} from '#shared/domain/usage/usage-message.ts';

/** A valid usage event for `aSubscription()` of the sample catalog at the default `FixedClock` time. */
export function aUsageEvent(overrides: Partial<UsageEventInput> = {}): UsageEventInput {
  return {
    subscriptionId: 'sub-1',
    dimension: 'api-calls',
    quantity: 1,
    timestamp: '2026-01-15T09:30:00Z',
    ...overrides,
  };
}

/** A slot of `sub-1`'s `api-calls` in the hour 2026-01-15 09:00 UTC. */
export function aSlot(overrides: Partial<MessageSlot> = {}): UsageSlot & MessageSlot {
  return {
    subscriptionId: 'sub-1',
    offerId: 'contoso-analytics',
    dimension: 'api-calls',
    hour: '2026-01-15T09:00:00.000Z',
    quantity: '1',
    eventCount: 1,
    ...overrides,
  };
}

/** A usage message with one default slot and a fresh marker. */
export function aUsageMessage(overrides: Partial<UsageMessage> = {}): UsageMessage {
  return {
    version: USAGE_MESSAGE_VERSION,
    marker: (randomUUID() + randomUUID()).replaceAll('-', '').slice(0, 64),
    slots: [aSlot()],
    ...overrides,
  };
}
