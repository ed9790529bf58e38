import { type Principal, requirePublisher } from '#shared/domain/access.ts';
import { NotFoundError, ValidationError } from '#shared/domain/errors.ts';
import type { AlertOutbox, OutboxMessage } from '#shared/use-cases/alerts/ports/alert-outbox.ts';

export const MAX_OUTBOX_LIMIT = 100;

/**
 * The alerts the local mode's outbox received, newest first: what the e-mails and SMS would have said, for the
 * publisher trying the system out (the outbox stands in for e-mail and SMS, which fauxqs cannot send).
 * @throws ForbiddenError for partner and customer keys.
 * @throws NotFoundError when no outbox is configured (in AWS, where alerts go out by e-mail and SMS).
 * @throws ValidationError for a limit outside 1–100.
 * @throws Error when the outbox cannot be read.
 */
export async function listAlertOutbox(
  deps: { readonly outbox?: AlertOutbox },
  caller: Principal,
  limit = 50,
): Promise<OutboxMessage[]> {
  if (!deps.outbox) {
    throw new NotFoundError('No alert outbox here: it exists in the local mode only (ALERTS_OUTBOX_QUEUE_URL).');
  }
  requirePublisher(caller, 'read the alert outbox');
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_OUTBOX_LIMIT) {
    throw new ValidationError(`limit must be a whole number from 1 to ${MAX_OUTBOX_LIMIT}`, 'limit');
  }
  return deps.outbox.listRecent(limit);
}
