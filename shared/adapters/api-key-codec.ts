import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ApiKeyCodec } from '#shared/use-cases/access/ports/api-key-store.ts';

/**
 * API key tokens look like `mmk_<keyId>_<secret>`: a recognisable prefix (so secret scanners and people can tell
 * what a leaked string is), a public key id used to find the record, and 256 random bits of secret.
 * The secret is stored as SHA-256: with 256 bits of entropy a slow password hash adds nothing but latency.
 */
const PREFIX = 'mmk';
const TOKEN_PATTERN = /^mmk_([A-Za-z0-9]{16})_([A-Za-z0-9_-]{43})$/;

function sha256(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

export const apiKeyCodec: ApiKeyCodec = {
  generate() {
    const keyId = randomBytes(12).toString('base64url').replace(/[-_]/g, 'x').slice(0, 16);
    const secret = randomBytes(32).toString('base64url');
    return { keyId, token: `${PREFIX}_${keyId}_${secret}`, secretHash: sha256(secret) };
  },
  parse(token) {
    const match = TOKEN_PATTERN.exec(token.trim());
    if (!match?.[1] || !match[2]) return undefined;
    return { keyId: match[1], secret: match[2] };
  },
  matches(secret, secretHash) {
    const presented = Buffer.from(sha256(secret), 'hex');
    const stored = Buffer.from(secretHash, 'hex');
    return presented.length === stored.length && timingSafeEqual(presented, stored);
  },
};
