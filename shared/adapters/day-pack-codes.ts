import { createHash, randomBytes } from 'node:crypto';
import { normaliseDayPackCode } from '#shared/domain/day-packs.ts';
import type { DayPackCodes } from '#shared/use-cases/day-packs/ports/day-pack-codes.ts';

// Crockford's base32 alphabet: no I, L, O, U, so a code read aloud or off paper is hard to get wrong.
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const CODE_LENGTH = 16;
const GROUP_LENGTH = 4;

/**
 * A new random day-pack code: 16 Crockford base32 characters in groups of four, `XXXX-XXXX-XXXX-XXXX`.
 *
 * 16 characters × 5 bits = 80 bits from `crypto.randomBytes`: guessing a valid code is hopeless even with many
 * millions of codes issued, and the same entropy is why an unsalted SHA-256 is enough to store it (a leaked hash
 * cannot be reversed by trying codes).
 */
export function generateDayPackCode(): string {
  const bytes = randomBytes((CODE_LENGTH * 5) / 8);
  let bits = 0n;
  for (const byte of bytes) bits = (bits << 8n) | BigInt(byte);
  let code = '';
  for (let index = CODE_LENGTH - 1; index >= 0; index--) {
    code += CROCKFORD[Number((bits >> BigInt(index * 5)) & 31n)];
  }
  return code.match(new RegExp(`.{${GROUP_LENGTH}}`, 'g'))?.join('-') ?? code;
}

/**
 * The stored form of a code: SHA-256 (lower-case hex) of its normalised form (`normaliseDayPackCode`), so
 * `abcd-efgh…` and `ABCDEFGH…` hash the same. Only this hash is stored: the code is a bearer secret.
 */
export function hashDayPackCode(code: string): string {
  return createHash('sha256').update(normaliseDayPackCode(code), 'utf8').digest('hex');
}

/** The `DayPackCodes` port backed by `node:crypto`. */
export const cryptoDayPackCodes: DayPackCodes = { generate: generateDayPackCode, hash: hashDayPackCode };
