/**
 * How the Entra client secret is stored (in Secrets Manager, or `ENTRA_CLIENT_SECRET` locally), and how the
 * placeholder the stateful stack creates is recognised.
 *
 * Accepted forms:
 * - the bare secret value (`abc8Q~…`): works, but nothing knows when it expires;
 * - JSON `{"clientSecret": "abc8Q~…", "expiresOn": "2027-06-01"}`: the expiry (the date Entra shows beside the
 *   secret) is watched by the health check, the canary and the expiry alarm. `value` is read as `clientSecret`.
 * - the placeholder: JSON with a `placeholder` field, as `ENTRA_SECRET_PLACEHOLDER_TEMPLATE` creates it.
 */

/** The field that marks the stack's placeholder; a real secret never has it. */
export const PLACEHOLDER_FIELD = 'placeholder';

/**
 * What the stateful stack stores at creation (`generateSecretString`): a JSON template with the placeholder marker and
 * the command to run, and a random `clientSecret` that Secrets Manager generates (so the template holds nothing
 * secret and an accidental use cannot match any real app's secret).
 */
export const ENTRA_SECRET_PLACEHOLDER_TEMPLATE = {
  secretStringTemplate: JSON.stringify({
    [PLACEHOLDER_FIELD]:
      'Not set: put the Entra app client secret here as {"clientSecret":"<value>","expiresOn":"<YYYY-MM-DD>"} with ' +
      'aws secretsmanager put-secret-value --secret-id <this secret> --secret-string file://secret.json',
  }),
  generateStringKey: 'clientSecret',
} as const;

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
