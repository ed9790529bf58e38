import { assertApplicableMessage, type UsageMessage } from '#shared/domain/usage/usage-message.ts';
import type { UsageLedger } from '#shared/use-cases/metering/ports/usage-ledger.ts';

/**
 * Applies one queued usage message to the ledger exactly once.
 * Steps: check the message fits one transaction and is well formed; write its slots, daily and monthly totals and
 * its marker in one transaction (the ledger's `applyMessage`). `duplicate` means the marker was applied before
 * (SQS redelivery, a crashed worker, a client retry with the same key or ids) and nothing was counted again.
 * @throws InvalidUsageMessageError when the message can never be applied (it must end in the dead-letter queue).
 * @throws Error from the ledger when the write may succeed later (the message is to be retried).
 */
export async function applyUsageMessage(
  deps: { readonly ledger: UsageLedger },
  message: UsageMessage,
): Promise<'applied' | 'duplicate'> {
  assertApplicableMessage(message);
  return deps.ledger.applyMessage(message);
}
