import { createHash } from 'node:crypto';
import { DEDUP_ENTRY_LENGTH } from '#shared/domain/usage/event-dedup.ts';

/**
 * The dedup entry of a client's event id (`shared/domain/usage/event-dedup.ts`): the first 96 bits of its SHA-256, in
 * base64url (16 characters). Short, so an hour's set holds about 20,000 ids per stored item; 96 bits, so two different
 * ids of one subscription and hour collide with a probability below 10⁻¹⁷ even at a million ids in that hour.
 */
export function eventIdEntry(id: string): string {
  return createHash('sha256').update(`event-id\u0000${id}`, 'utf8').digest('base64url').slice(0, DEDUP_ENTRY_LENGTH);
}
