/**
 * The links of the contact lifecycle (confirm, unsubscribe), signed so that nobody can confirm or unsubscribe an
 * address they only typed, and expiring so that a link found in an old mail stops working.
 *
 * A token is `base64url(payload) "." base64url(HMAC-SHA-256(payload) truncated to 128 bits)`, with the payload
 * `<purpose>|<channel>|<rule>|<expiry, epoch seconds base 36>|<address>`. Not a JWT: a JWT's header, JSON claims and
 * 256-bit signature make a token about 150 characters long, and the confirmation link has to fit an SMS (160 GSM-7
 * characters, 70 in Japanese); this one is about 60 for a phone number. A 128-bit tag is as far from being forged as
 * the key is from being guessed (NIST SP 800-107 allows truncated HMAC tags of 64 bits and more). The purpose inside
 * the signed payload keeps a confirmation link from being used to unsubscribe and the other way round.
 *
 * The key is derived from the session secret with HKDF under its own label, as shared/http/session.ts derives the
 * cookie keys: one secret to keep, and a cookie can never verify as a link nor a link as a cookie. Rotating the
 * secret invalidates the links already sent (the page then says to ask for a new one).
 */
import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { ALERT_RULES, type AlertRule } from '#shared/domain/alerts/alert.ts';
import type {
  ConfirmLinks,
  ContactLinkClaims,
  ContactLinkPurpose,
  ContactLinkTokens,
  ContactLinkVerification,
} from '#shared/use-cases/alerts/ports/contact-links.ts';
import type { ContactAddress, UnsubscribeLinks } from '#shared/use-cases/alerts/ports/contact-states.ts';

/** A confirmation is asked for when a budget or partner is saved; a week covers a holiday away from the mailbox. */
export const CONFIRM_LINK_LIFETIME_SECONDS = 7 * 24 * 3600;
/**
 * Unsubscribe links travel in every alert, and a person may act on a months-old one; 90 days is three times the 30
 * days the US CAN-SPAM Act asks an unsubscribe mechanism to work after sending. Each alert carries a fresh link.
 */
export const UNSUBSCRIBE_LINK_LIFETIME_SECONDS = 90 * 24 * 3600;

/** The paths the links point at (routes of the ContactPages function, infra/functions.ts). */
export const CONFIRM_PATH = '/contacts/confirm';
export const UNSUBSCRIBE_PATH = '/contacts/unsubscribe';

const TAG_BYTES = 16;
const PURPOSE_CODES: Record<ContactLinkPurpose, string> = { confirm: 'c', unsubscribe: 'u' };
const CHANNEL_CODES = { email: 'e', sms: 's' } as const;

/**
 * The 256-bit link key derived from the session secret (at least 32 characters, as for the cookies).
 * @throws Error when the secret is too short.
 */
export function contactLinkKey(secret: string): Uint8Array {
  if (secret.length < 32) throw new Error('The session secret must be at least 32 characters long.');
  return new Uint8Array(hkdfSync('sha256', secret, 'marketplace-metering', 'contact links', 32));
}

/** The link key from a secret read when first needed (and again when its value changes: a rotation). */
export function contactLinkKeyFrom(secret: () => Promise<string>): () => Promise<Uint8Array> {
  let last: { secret: string; key: Uint8Array } | undefined;
  return async () => {
    const value = await secret();
    if (last?.secret !== value) last = { secret: value, key: contactLinkKey(value) };
    return last.key;
  };
}

export class SignedContactLinks implements ConfirmLinks, UnsubscribeLinks, ContactLinkTokens {
  private readonly baseUrl: string;

  /**
   * @param key the link key (`contactLinkKey`), read when first needed: in AWS the session secret comes from Secrets
   *   Manager, and a rotated secret is picked up (links signed with the old one are then refused as invalid).
   * @param baseUrl the public base URL of the API (`https://api.example.com`), where the contact pages are served.
   * @param now the real clock: a link's life is counted as a mail's, not on the local mode's movable clock.
   */
  constructor(
    private readonly key: () => Promise<Uint8Array>,
    baseUrl: string,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
  }

  async confirmLinkFor(contact: ContactAddress): Promise<string> {
    const token = await this.sign('confirm', contact, undefined, CONFIRM_LINK_LIFETIME_SECONDS);
    return `${this.baseUrl}${CONFIRM_PATH}?token=${token}`;
  }

  async linkFor(contact: ContactAddress, rule?: AlertRule): Promise<string> {
    const token = await this.sign('unsubscribe', contact, rule, UNSUBSCRIBE_LINK_LIFETIME_SECONDS);
    return `${this.baseUrl}${UNSUBSCRIBE_PATH}?token=${token}`;
  }

  /** A token for `purpose` (public for the tests' expired and wrong-purpose cases). */
  async sign(
    purpose: ContactLinkPurpose,
    contact: ContactAddress,
    rule: AlertRule | undefined,
    lifetimeSeconds: number,
  ): Promise<string> {
    const expiry = Math.floor(this.now().getTime() / 1000) + lifetimeSeconds;
    const payload = [
      PURPOSE_CODES[purpose],
      CHANNEL_CODES[contact.channel],
      rule ?? '',
      expiry.toString(36),
      contact.address,
    ].join('|');
    const encoded = Buffer.from(payload, 'utf8').toString('base64url');
    return `${encoded}.${(await this.tag(encoded)).toString('base64url')}`;
  }

  async verify(token: string, purpose: ContactLinkPurpose): Promise<ContactLinkVerification> {
    const invalid = { ok: false, reason: 'invalid' } as const;
    const [encoded, tag, extra] = token.trim().split('.');
    if (!encoded || !tag || extra !== undefined) return invalid;
    const presented = Buffer.from(tag, 'base64url');
    const expected = await this.tag(encoded);
    if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) return invalid;
    const claims = parsePayload(Buffer.from(encoded, 'base64url').toString('utf8'));
    if (!claims || claims.purpose !== purpose) return invalid;
    if (claims.expiresAt.getTime() <= this.now().getTime()) return { ok: false, reason: 'expired' };
    return { ok: true, claims };
  }

  private async tag(encodedPayload: string): Promise<Buffer> {
    return createHmac('sha256', await this.key())
      .update(encodedPayload)
      .digest()
      .subarray(0, TAG_BYTES);
  }
}

function parsePayload(payload: string): ContactLinkClaims | undefined {
  const parts = payload.split('|');
  if (parts.length < 5) return undefined;
  const [purposeCode, channelCode, rule, expiry] = parts;
  // The address is last and may itself hold `|` (an e-mail local part may).
  const address = parts.slice(4).join('|');
  const purpose = (Object.keys(PURPOSE_CODES) as ContactLinkPurpose[]).find((p) => PURPOSE_CODES[p] === purposeCode);
  const channel = channelCode === 'e' ? 'email' : channelCode === 's' ? 'sms' : undefined;
  const expiresAt = new Date(Number.parseInt(expiry ?? '', 36) * 1000);
  if (!purpose || !channel || !address || Number.isNaN(expiresAt.getTime())) return undefined;
  if (rule && !ALERT_RULES.includes(rule as AlertRule)) return undefined;
  return {
    purpose,
    contact: { channel, address },
    ...(rule ? { rule: rule as AlertRule } : {}),
    expiresAt,
  };
}
