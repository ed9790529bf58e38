/**
 * How the Entra client secret is stored (in Secrets Manager, or `ENTRA_CLIENT_SECRET` locally).
 *
 * Accepted forms:
 * - the bare secret value (`abc8Q~…`): works, but nothing knows when it expires;
 * - JSON `{"clientSecret": "abc8Q~…", "expiresOn": "2027-06-01"}`: the expiry (the date Entra shows beside the
 *   secret) is watched by the health check, the canary and the expiry alarm. `value` is read as `clientSecret`.
 * - a placeholder: JSON with a `placeholder` field (a note of what is still to be done, e.g. in a copied stack).
 *
 * The value the stateful stack creates is CloudFormation's random string: it is recognised as the placeholder by the
 * secret having a single version (secret-versions.ts), not by its text.
 */

/** The field that marks a placeholder; a real secret never has it. */
export const PLACEHOLDER_FIELD = 'placeholder';

export interface StoredClientSecret {
  /** The value to send to Entra. */
  readonly clientSecret: string;
  /** True for the stack's placeholder: sending it to Entra can only fail. */
  readonly placeholder: boolean;
  /** The expiry stored beside the secret, when there is one and it is a date. */
  readonly expiresOn?: Date;
  /** An `expiresOn` that is not a date, as stored (reported, never fatal: the secret itself may be fine). */
  readonly unreadableExpiry?: string;
}

/** Reads the stored text in any of the accepted forms; never throws (anything that is not our JSON is the value). */
export function parseStoredClientSecret(stored: string): StoredClientSecret {
  const text = stored.trim();
  const parsed = text.startsWith('{') ? jsonObject(text) : undefined;
  if (!parsed) return { clientSecret: text, placeholder: false };
  const value = parsed.clientSecret ?? parsed.value;
  const placeholder = PLACEHOLDER_FIELD in parsed;
  // JSON without a secret in it (and not the placeholder) may be a secret that merely starts with "{".
  if ((typeof value !== 'string' || value === '') && !placeholder) return { clientSecret: text, placeholder: false };
  return {
    clientSecret: typeof value === 'string' ? value : '',
    placeholder,
    ...expiryOf(parsed.expiresOn),
  };
}

function jsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** `2027-06-01` (end of that day is not assumed: Entra's date is the day it stops) or a full ISO 8601 instant. */
function expiryOf(raw: unknown): Pick<StoredClientSecret, 'expiresOn' | 'unreadableExpiry'> {
  if (raw === undefined || raw === null || raw === '') return {};
  if (typeof raw === 'string' && /^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:\d{2}))?$/.test(raw.trim())) {
    const date = new Date(raw.trim());
    if (!Number.isNaN(date.getTime())) return { expiresOn: date };
  }
  return { unreadableExpiry: String(raw) };
}
