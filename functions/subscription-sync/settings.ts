import { z } from 'zod';
import { ConfigError } from '#shared/config.ts';
import { ENV } from '#shared/env-names.ts';

/** An hour: a customer who bought and is on the way to the landing page is not reported. */
export const DEFAULT_PENDING_PURCHASE_ALERT_MINUTES = 60;
/** 30 days: a larger value is more likely a unit mistake than a wish never to hear of forgotten purchases. */
const MAX_PENDING_PURCHASE_ALERT_MINUTES = 30 * 24 * 60;

const schema = z.object({
  [ENV.pendingPurchaseAlertMinutes]: z.coerce
    .number({ error: 'must be a whole number of minutes' })
    .int({ error: 'must be a whole number of minutes' })
    .min(0)
    .max(MAX_PENDING_PURCHASE_ALERT_MINUTES)
    .optional(),
});

/** The subscription sync's behaviour settings (not addresses; those are in `shared/config.ts`). */
export interface SyncSettings {
  /** Minutes a purchase may stay PendingFulfillmentStart before it is reported as never opened. */
  readonly pendingPurchaseAlertMinutes: number;
}

/**
 * Reads `PENDING_PURCHASE_ALERT_MINUTES` (default 60).
 * @throws ConfigError for a value that is not a whole number from 0 to 43200 (30 days).
 */
export function loadSyncSettings(env: Record<string, string | undefined> = process.env): SyncSettings {
  const raw = env[ENV.pendingPurchaseAlertMinutes];
  const parsed = schema.safeParse({ [ENV.pendingPurchaseAlertMinutes]: raw === '' ? undefined : raw });
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration: ${problems.join('; ')}`);
  }
  return {
    pendingPurchaseAlertMinutes: parsed.data[ENV.pendingPurchaseAlertMinutes] ?? DEFAULT_PENDING_PURCHASE_ALERT_MINUTES,
  };
}
