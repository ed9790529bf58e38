import fc from 'fast-check';
import type { z } from 'zod';
import { type FuzzTarget, targetName } from '#test/fuzz/targets.ts';

/** What the fuzzer knows of the running system: credentials and ids that exist, so requests get past the door. */
export interface FuzzContext {
  readonly apiKeys: { readonly publisher: string; readonly partner: string; readonly customer: string };
  /** Values for path parameters by name (`subscriptionId`, `partnerId`, `keyId`, `operationId`, `contact`). */
  readonly ids: Readonly<Record<string, readonly string[]>>;
  /**
   * Values for path parameters of one route (by `targetName`), where the route needs ids of its own: subscriptions
   * kept for `DELETE /v1/subscriptions/{subscriptionId}` (a cancellation must not end the subscription every other
   * route works on), customers whose purchases a month-start check blocks for `…/purchase-block-release`, the budget
   * and partner whose contacts no other route rewrites for `…/contacts/{contact}/confirmation`.
   */
  readonly idsByRoute?: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>>;
  /** The local system's clock (it may have been moved ahead of the real one): dates are generated around it. */
  readonly now?: () => Date;
  /** Codes of day packs issued for the offer (redeemable: a repeated redemption answers 200). */
  readonly dayPackCodes?: readonly string[];
  /** Genuine tokens of contact links: confirmation links (from the local mailbox) and unsubscribe links. */
  readonly contactTokens?: { readonly confirm: readonly string[]; readonly unsubscribe: readonly string[] };
  /** Sign-ins started and done at the fake Entra: the sign-in cookie and the query `/auth/callback` is called with. */
  readonly signInCallbacks?: readonly { readonly cookie: string; readonly search: string }[];
  /** A genuine webhook notification and a token the webhook accepts (signed by the emulator's Entra authority). */
  readonly webhook: { readonly payload: Record<string, unknown>; readonly token: string };
  /** Landing-page tokens the emulator issued. */
  readonly landingTokens: readonly string[];
  /**
   * A signed-in customer's session (cookie, its CSRF token, our origin): sent to the landing page, the portal and
   * sign-out, so their requests get past the sign-in and reach the token and form handling.
   */
  readonly session?: { readonly cookie: string; readonly csrfToken: string; readonly origin: string };
}

/** Routes that take the session cookie rather than an API key. */
const usesSession = (target: FuzzTarget) =>
  target.path === '/landing' || target.path.startsWith('/portal') || target.path === '/auth/sign-out';

export interface FuzzRequest {
  readonly method: string;
  /** Path and query, URL-encoded. */
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body?: string;
  /** Whether the generator meant it to be well-formed (for the report only: the checks do not depend on it). */
  readonly mutated: boolean;
}

// ---------------------------------------------------------------------------------------------------------------
// Values from zod schemas (zod 4's definitions): near the valid space, so bodies reach the domain rules.
// ---------------------------------------------------------------------------------------------------------------

interface ZodDefLike {
  readonly type: string;
  readonly [key: string]: unknown;
}
const defOf = (schema: unknown): ZodDefLike => (schema as { _zod: { def: ZodDefLike } })._zod.def;

interface Bounds {
  min?: number;
  max?: number;
  pattern?: RegExp;
  format?: string;
  integer?: boolean;
}

function boundsOf(def: ZodDefLike): Bounds {
  const bounds: Bounds = {};
  for (const check of (def.checks as unknown[] | undefined) ?? []) {
    const c = defOf(check) as ZodDefLike & Record<string, unknown>;
    const kind = String(c.check);
    if (kind === 'min_length') bounds.min = Number(c.minimum);
    else if (kind === 'max_length') bounds.max = Number(c.maximum);
    else if (kind === 'length_equals') bounds.min = bounds.max = Number(c.length);
    else if (kind === 'greater_than') bounds.min = Number(c.value) + (c.inclusive ? 0 : 1);
    else if (kind === 'less_than') bounds.max = Number(c.value) - (c.inclusive ? 0 : 1);
    else if (kind === 'string_format') {
      bounds.format = String(c.format);
      if (c.pattern instanceof RegExp && c.format === 'regex') bounds.pattern = c.pattern;
    } else if (kind === 'number_format') bounds.integer = String(c.format).includes('int');
  }
  return bounds;
}

const shortText = fc.string({ maxLength: 24 });

/** Values the domain takes for fields of a given name (a random currency or time zone passes zod, not the domain). */
export type FieldHints = Readonly<Record<string, fc.Arbitrary<unknown>>>;

/** The hint of a date-time field that has no hint of its own (a key no field has). */
const DATETIME = '*datetime';

export function fieldHints(context: FuzzContext): FieldHints {
  const subscriptionIds = context.ids.subscriptionId ?? [];
  const nowMs = () => (context.now?.() ?? new Date()).getTime();
  const at = (offsetMs: number) => new Date(nowMs() + offsetMs).toISOString();
  const recent = fc.integer({ min: 0, max: 3 * 3_600_000 }).map((ago) => at(-ago));
  return {
    // The partner's credit levels are in JPY, and a budget must be in their currency: mostly JPY.
    currency: fc.constantFrom('JPY', 'JPY', 'JPY', 'USD'),
    // Mostly amounts the domain takes (at most 15 digits before the point), some just over, some far over (the
    // 40-digit budget that was once accepted and then unreadable).
    amount: fc.oneof(
      { arbitrary: fc.integer({ min: 1, max: 10_000_000 }).map(String), weight: 6 },
      { arbitrary: fc.stringMatching(/^[1-9][0-9]{0,16}$/), weight: 2 },
      { arbitrary: fc.stringMatching(/^[1-9][0-9]{36,39}$/), weight: 1 },
    ),
    timeZone: fc.constantFrom('UTC', 'Asia/Tokyo', 'America/New_York'),
    emails: fc.array(fc.emailAddress(), { maxLength: 3 }),
    phones: fc.array(fc.constantFrom('+819012345678', '+14155550100'), { maxLength: 2 }),
    thresholds: fc.uniqueArray(fc.constantFrom('0.5', '0.8', '1', '1.2', 0.25), { minLength: 1, maxLength: 4 }),
    planId: fc.constantFrom('basic', 'team', 'pro'),
    dimension: fc.constantFrom('api-calls', 'gb-processed', 'reports'),
    subscriptionId: subscriptionIds.length > 0 ? fc.constantFrom(...subscriptionIds) : fc.uuid(),
    tenantId: fc.uuid(),
    partnerId: fc.constantFrom(...(context.ids.partnerId ?? ['fuzz-partner'])),
    timestamp: recent,
    // A cursor is only valid as the nextCursor of a page: well-formed list requests start at the first page.
    cursor: fc.constant(undefined),
    expiresAt: fc.integer({ min: 3_600_000, max: 30 * 86_400_000 }).map((ms) => at(ms)),
    // An hourly series spans at most 31 days.
    from: fc.integer({ min: 1, max: 25 }).map((days) => at(-days * 86_400_000)),
    to: fc.integer({ min: 0, max: 3_600_000 }).map((ms) => at(ms)),
    maxQuantity: fc.integer({ min: 1, max: 50 }),
    recipient: fc.constantFrom(
      ...(context.ids.partnerId ?? ['fuzz-partner']).map((id) => `partner:${id}`),
      `customer:${subscriptionIds[0] ?? 'unknown'}`,
    ),
    code:
      context.dayPackCodes && context.dayPackCodes.length > 0 ? fc.constantFrom(...context.dayPackCodes) : shortText,
    offerId: fc.constant('contoso-analytics'),
    status: fc.constantFrom('Subscribed', 'PendingFulfillmentStart', 'Unsubscribed'),
    // Seats are whole numbers; usage quantities may be decimal strings.
    quantity: fc.oneof({ arbitrary: fc.integer({ min: 1, max: 100 }), weight: 4 }, fc.constantFrom('1', '2.5')),
    // Credit levels in rising order (warning < approval required < purchase blocked), in the partner's currency.
    warning: fc.integer({ min: 1, max: 100_000 }).map((amount) => ({ amount: String(amount), currency: 'JPY' })),
    approvalRequired: fc
      .integer({ min: 100_001, max: 200_000 })
      .map((amount) => ({ amount: String(amount), currency: 'JPY' })),
    purchaseBlocked: fc
      .integer({ min: 200_001, max: 10_000_000 })
      .map((amount) => ({ amount: String(amount), currency: 'JPY' })),
    // The publisher's override of a credit level goes with a reason: both left out of most well-formed requests.
    overrideCreditLevel: fc.constant(undefined),
    reason: fc.constant(undefined),
    productKey: fc.constant('contoso-analytics'),
    days: fc.integer({ min: 1, max: 90 }),
    count: fc.integer({ min: 1, max: 3 }),
    [DATETIME]: fc.integer({ min: -86_400_000, max: 120 * 86_400_000 }).map((offset) => at(offset)),
  };
}

/** A value shaped like the schema wants (mostly valid; the domain rules decide the rest). */
export function valueFor(schema: z.ZodType, depth = 0, hints: FieldHints = {}): fc.Arbitrary<unknown> {
  const def = defOf(schema);
  if (depth > 6) return fc.constant(null);
  switch (def.type) {
    case 'object': {
      const shape = def.shape as Record<string, z.ZodType>;
      const keys = Object.keys(shape);
      const required = keys.filter((key) => !['optional', 'default'].includes(defOf(shape[key]).type));
      const field = (key: string) => {
        const generic = valueFor(shape[key] as z.ZodType, depth + 1, hints);
        const hint = hints[key];
        return hint ? fc.oneof({ arbitrary: hint, weight: 4 }, { arbitrary: generic, weight: 1 }) : generic;
      };
      return fc.record(Object.fromEntries(keys.map((key) => [key, field(key)])), {
        requiredKeys: required,
      });
    }
    case 'string': {
      const bounds = boundsOf(def);
      if (bounds.pattern) return fc.stringMatching(bounds.pattern).filter((s) => s.length <= (bounds.max ?? 1e9));
      if (bounds.format === 'datetime' || def.format === 'datetime') {
        return (
          hints[DATETIME] ??
          fc.integer({ min: -86_400_000, max: 120 * 86_400_000 }).map((ms) => new Date(Date.now() + ms).toISOString())
        );
      }
      return fc.oneof(
        fc.string({ minLength: Math.max(1, bounds.min ?? 0), maxLength: Math.min(bounds.max ?? 40, 40) }),
        fc.uuid(),
      );
    }
    case 'number': {
      const bounds = boundsOf(def);
      const min = Math.max(bounds.min ?? -1_000, -1e9);
      const max = Math.min(bounds.max ?? 1_000_000, 1e9);
      return bounds.integer === false || bounds.integer === undefined
        ? fc.oneof(fc.integer({ min, max }), fc.double({ min, max, noNaN: true }))
        : fc.integer({ min, max });
    }
    case 'boolean':
      return fc.boolean();
    case 'array': {
      const bounds = boundsOf(def);
      return fc.array(valueFor(def.element as z.ZodType, depth + 1, hints), {
        minLength: bounds.min ?? 0,
        maxLength: Math.min(bounds.max ?? 5, 5),
      });
    }
    case 'enum':
      return fc.constantFrom(...Object.values(def.entries as Record<string, string>));
    case 'literal':
      return fc.constantFrom(...(def.values as unknown[]));
    case 'union':
      return fc.oneof(...(def.options as z.ZodType[]).map((option) => valueFor(option, depth + 1, hints)));
    case 'optional':
    case 'nullable':
    case 'default':
    case 'readonly':
    case 'nonoptional':
    case 'catch':
      return valueFor(def.innerType as z.ZodType, depth, hints);
    case 'pipe':
      // A transform's input side (`z.unknown().transform(…)`) says nothing: lenient marketplace fields take any JSON.
      return defOf(def.in).type === 'transform'
        ? valueFor(def.out as z.ZodType, depth, hints)
        : valueFor(def.in as z.ZodType, depth, hints);
    default:
      return fc.oneof(shortText, fc.integer(), fc.constant(null), fc.uuid());
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Mutations
// ---------------------------------------------------------------------------------------------------------------

const hugeString = fc
  .tuple(fc.constantFrom('x', '中', '\u{1F600}', '\u0000', '%', '"'), fc.integer({ min: 257, max: 20_000 }))
  .map(([unit, count]) => unit.repeat(count));
const oddString = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 64 }),
  fc.string({ unit: 'binary', maxLength: 64 }),
  fc.constantFrom('', ' ', '\u202e', 'null', '-1', '1e309', 'NaN', '__proto__', '../..', '%00', '<script>', '\ud800'),
);
const wrongValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(null, true, false, 0, -1, 1e308, -0, [], {}),
  fc.double(),
  oddString,
  hugeString,
  fc.jsonValue({ maxDepth: 3 }),
  fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 3 }),
);

/** The value with one field removed, added, retyped or blown up (recursively into objects and arrays). */
function mutateValue(value: unknown): fc.Arbitrary<unknown> {
  if (Array.isArray(value)) {
    if (value.length === 0)
      return fc.oneof(
        wrongValue.map((v) => [v]),
        wrongValue,
      );
    return fc.integer({ min: 0, max: value.length - 1 }).chain((i) =>
      fc.oneof(
        mutateValue(value[i]).map((v) => value.map((old, j) => (j === i ? v : old))),
        fc.constant(Array.from({ length: 1001 }, () => value[0])),
        wrongValue,
      ),
    );
  }
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record);
    const options: fc.Arbitrary<unknown>[] = [
      fc.tuple(fc.oneof(shortText, fc.constantFrom('__proto__', 'constructor')), wrongValue).map(([key, extra]) => ({
        ...record,
        [key]: extra,
      })),
      wrongValue,
    ];
    if (keys.length > 0) {
      const key = fc.constantFrom(...keys);
      options.push(
        key.map((k) => Object.fromEntries(Object.entries(record).filter(([name]) => name !== k))),
        fc.tuple(key, wrongValue).map(([k, v]) => ({ ...record, [k]: v })),
        key.chain((k) => mutateValue(record[k]).map((v) => ({ ...record, [k]: v }))),
      );
    }
    return fc.oneof(...options);
  }
  return wrongValue;
}

/** A body's text: valid JSON of the value, or something no JSON parser takes. */
const brokenJson = fc.oneof(
  fc.constantFrom('', '{', '{"a":', 'nul', '[1,]', '{"a":1}{', '\u0000', '{"a":"\\ud800"}', '1e99999'),
  fc.string({ maxLength: 200 }),
  fc.integer({ min: 1, max: 40_000 }).map((depth) => '['.repeat(depth) + ']'.repeat(depth)),
);

// ---------------------------------------------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------------------------------------------

const oddIds = fc.oneof(
  oddString,
  hugeString.map((s) => s.slice(0, 3000)),
  fc.uuid(),
  shortText,
);

function pathFor(target: FuzzTarget, context: FuzzContext): fc.Arbitrary<{ path: string; mutated: boolean }> {
  const names = [...target.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1] as string);
  const ownIds = context.idsByRoute?.[targetName(target)];
  const values = names.map((name) => {
    const known = ownIds?.[name] ?? context.ids[name] ?? [];
    const valid = known.length > 0 ? fc.constantFrom(...known) : fc.uuid();
    return fc.oneof(
      { arbitrary: valid.map((v) => [v, false] as const), weight: 9 },
      {
        arbitrary: oddIds.map((v) => [v, true] as const),
        weight: 1,
      },
    );
  });
  return fc.tuple(...values).map((chosen) => {
    let path = target.path;
    chosen.forEach(([value], i) => {
      path = path.replace(`{${names[i]}}`, encodeAny(value).slice(0, 6000));
    });
    return { path, mutated: chosen.some(([, mutated]) => mutated) };
  });
}

/** The Authorization header: a key of each role (the publisher's most: it may use every route), or a wrong one. */
function authFor(target: FuzzTarget, context: FuzzContext): fc.Arbitrary<{ auth?: string; mutated: boolean }> {
  const garbage = fc.oneof(
    fc.constant(undefined),
    fc.constantFrom('Bearer', 'Bearer ', 'Basic dXNlcjpwYXNz', 'bearer x.y.z', `Bearer ${'a'.repeat(8000)}`),
    fc.string({ maxLength: 60 }).map((s) => `Bearer ${latin1(s)}`),
  );
  const wrong = garbage.map((auth) => (auth === undefined ? { mutated: true } : { auth, mutated: true }));
  if (target.path === '/webhook') {
    return fc.oneof(
      { arbitrary: fc.constant({ auth: `Bearer ${context.webhook.token}`, mutated: false }), weight: 5 },
      { arbitrary: wrong, weight: 1 },
      {
        arbitrary: fc.constant({ auth: `Bearer ${context.webhook.token.slice(0, -4)}AAAA`, mutated: true }),
        weight: 1,
      },
    );
  }
  // Pages, links and the API's description take no key: one sent anyway must not matter.
  if (!(target.path.startsWith('/v1') || target.path === '/health')) {
    return fc.oneof({ arbitrary: fc.constant({ mutated: false }), weight: 5 }, { arbitrary: wrong, weight: 1 });
  }
  const { publisher, partner, customer } = context.apiKeys;
  return fc.oneof(
    { arbitrary: fc.constant({ auth: `Bearer ${publisher}`, mutated: false }), weight: 10 },
    {
      arbitrary: fc.constantFrom(`Bearer ${partner}`, `Bearer ${customer}`).map((auth) => ({ auth, mutated: false })),
      weight: 3,
    },
    { arbitrary: fc.constant({ auth: publisher, mutated: true }), weight: 1 },
    { arbitrary: wrong, weight: 1 },
  );
}

const contentTypes = fc.oneof(
  { arbitrary: fc.constant('application/json'), weight: 12 },
  {
    arbitrary: fc.constantFrom(
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/json; charset=utf-16',
      'application/json; charset=latin1',
      '',
      'application/*',
    ),
    weight: 1,
  },
);

const headerNames = fc.constantFrom(
  'idempotency-key',
  'x-forwarded-for',
  'accept',
  'accept-encoding',
  'x-ms-requestid',
  'x-amzn-trace-id',
  'cookie',
);
/** Extra headers: ordinary ones (ids, `accept`), or odd and oversized values (then the request counts as mutated). */
const extraHeaders = fc.oneof(
  {
    arbitrary: fc
      .dictionary(headerNames, fc.oneof(fc.uuid(), fc.constantFrom('application/json', '*/*', 'gzip')), { maxKeys: 2 })
      .map((headers) => ({ headers, mutated: false })),
    weight: 9,
  },
  {
    arbitrary: fc
      .dictionary(headerNames, fc.oneof(fc.string({ maxLength: 40 }).map(latin1), fc.constant('x'.repeat(6000))), {
        minKeys: 1,
        maxKeys: 3,
      })
      .map((headers) => ({ headers, mutated: true })),
    weight: 1,
  },
);

/** Percent-encodes any string; a lone surrogate becomes the bytes of an invalid UTF-8 sequence (a case in itself). */
function encodeAny(text: string): string {
  try {
    return encodeURIComponent(text);
  } catch {
    return [...text]
      .map((ch) => (ch.length === 1 && /[\ud800-\udfff]/.test(ch) ? '%ED%A0%80' : encodeURIComponent(ch)))
      .join('');
  }
}

/** Header values must be Latin-1 for fetch: anything else is percent-encoded (servers see such bytes too). */
function latin1(text: string): string {
  return [...text]
    .map((ch) => ((ch.codePointAt(0) ?? 0) >= 0x20 && (ch.codePointAt(0) ?? 0) < 0x7f ? ch : encodeAny(ch)))
    .join('');
}

function queryFor(target: FuzzTarget, hints: FieldHints): fc.Arbitrary<{ query: string; mutated: boolean }> {
  const valid = target.query ? valueFor(target.query, 0, hints) : fc.constant({});
  const mutated = target.query ? valid.chain(mutateValue) : fc.dictionary(shortText, oddString, { maxKeys: 2 });
  return fc
    .oneof(
      { arbitrary: valid.map((v) => [v, false] as const), weight: target.query ? 3 : 9 },
      { arbitrary: mutated.map((v) => [v, true] as const), weight: 1 },
    )
    .map(([value, isMutated]) => {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        // JSON, not String(): an array may hold an object without a prototype, which String() cannot convert.
        const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
        return { query: `?${encodeAny(text).slice(0, 6000)}`, mutated: true };
      }
      const params = new URLSearchParams();
      for (const [key, v] of Object.entries(value)) {
        if (v === undefined) continue;
        params.append(key, typeof v === 'string' ? v.slice(0, 6000) : (JSON.stringify(v) ?? ''));
      }
      const text = params.toString();
      return { query: text ? `?${text}` : '', mutated: isMutated };
    });
}

type FuzzBody = { readonly body?: string; readonly mutated: boolean };
const NO_BODY: FuzzBody = { mutated: false };

/** A page or link request's token, query and form: genuine values mostly, odd and oversized ones otherwise. */
interface PageParts {
  readonly query: string;
  readonly body?: string;
  /** A cookie the request needs besides the session (the sign-in transaction of `/auth/callback`). */
  readonly cookie?: string;
  readonly mutated: boolean;
}

/**
 * The pages whose credential is a token in the link or a form field (the landing page, contact links, the sign-in
 * callback, sign-out): genuine tokens from the context, so that requests reach what the page does, or odd ones.
 * Undefined for the other routes.
 */
function pagePartsFor(target: FuzzTarget, context: FuzzContext): fc.Arbitrary<PageParts> | undefined {
  const oneOf = (values: readonly string[] | undefined) =>
    values && values.length > 0 ? fc.constantFrom(...values) : fc.base64String({ minLength: 4, maxLength: 40 });
  const odd = fc.oneof(
    oddIds,
    hugeString.map((t) => t.slice(0, 9000)),
  );
  const tokenQuery = (token: string) => `?token=${encodeAny(token)}`;
  const csrfToken = context.session?.csrfToken ?? '';
  const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
  const withOdd = (genuine: fc.Arbitrary<PageParts>, oddOnes: fc.Arbitrary<PageParts>) =>
    fc.oneof({ arbitrary: genuine, weight: 3 }, { arbitrary: oddOnes, weight: 1 });
  const { method, path } = target;
  if (path === '/landing' || path.startsWith('/contacts/')) {
    const tokens =
      path === '/landing'
        ? context.landingTokens
        : path === '/contacts/confirm'
          ? context.contactTokens?.confirm
          : context.contactTokens?.unsubscribe;
    if (method === 'GET') {
      return withOdd(
        oneOf(tokens).map((token) => ({ query: tokenQuery(token), mutated: false })),
        odd.map((token) => ({ query: tokenQuery(token), mutated: true })),
      );
    }
    const fields = (token: string): Record<string, string> =>
      path === '/landing'
        ? { token, csrfToken }
        : path === '/contacts/unsubscribe'
          ? { token, 'List-Unsubscribe': 'One-Click' }
          : { token };
    return withOdd(
      oneOf(tokens).map((token) => ({ query: '', body: form(fields(token)), mutated: false })),
      fc.oneof(
        odd.map((token) => ({ query: '', body: form(fields(token)), mutated: true })),
        brokenJson.map((body) => ({ query: '', body, mutated: true })),
        oneOf(tokens).map((token) => ({ query: '', body: form({ token, csrfToken: 'x' }), mutated: true })),
      ),
    );
  }
  if (path === '/auth/callback') {
    const callbacks = context.signInCallbacks ?? [];
    const genuine =
      callbacks.length > 0
        ? fc.constantFrom(...callbacks).map(({ cookie, search }) => ({ query: search, cookie, mutated: false }))
        : fc.constant({ query: '', mutated: false });
    return withOdd(
      genuine,
      fc
        .dictionary(fc.constantFrom('code', 'state', 'error', 'session_state', 'iss'), odd, { minKeys: 1, maxKeys: 3 })
        .map((params) => ({ query: `?${new URLSearchParams(params)}`.slice(0, 9000), mutated: true })),
    );
  }
  if (path === '/auth/sign-out') {
    return withOdd(
      fc.constant({ query: '', body: form({ csrfToken }), mutated: false }),
      fc.oneof(odd, fc.constant('')).map((token) => ({ query: '', body: form({ csrfToken: token }), mutated: true })),
    );
  }
  return undefined;
}
/**
 * Bodies whose fields go together in a way the schema does not say, for half of the route's well-formed bodies:
 * an API key's role and its scope (publisher: none; partner: `partnerId`; customer: `tenantId` or
 * `subscriptionIds`), which field hints drawn one by one rarely match (3 % of well-formed requests succeeded).
 */
function coherentBody(target: FuzzTarget, context: FuzzContext): fc.Arbitrary<unknown> | undefined {
  if (targetName(target) !== 'POST /v1/api-keys') return undefined;
  const name = fc.string({ minLength: 1, maxLength: 40 }).filter((text) => text.trim().length > 0);
  const partnerIds = context.ids.partnerId ?? [];
  const subscriptionIds = context.ids.subscriptionId ?? [];
  return fc.oneof(
    fc.record({ name, role: fc.constant('publisher') }),
    ...(partnerIds.length > 0
      ? [fc.record({ name, role: fc.constant('partner'), partnerId: fc.constantFrom(...partnerIds) })]
      : []),
    fc.record({ name, role: fc.constant('customer'), tenantId: fc.uuid() }),
    ...(subscriptionIds.length > 0
      ? [
          fc.record({
            name,
            role: fc.constant('customer'),
            subscriptionIds: fc.uniqueArray(fc.constantFrom(...subscriptionIds), { minLength: 1 }),
          }),
        ]
      : []),
  );
}

function bodyFor(target: FuzzTarget, context: FuzzContext, hints: FieldHints): fc.Arbitrary<FuzzBody> {
  let valid: fc.Arbitrary<unknown>;
  if (target.path === '/webhook') {
    // Genuine notifications with fields changed: the token is valid, so these reach Get Operation and the store.
    valid = fc.oneof(
      fc.constant(context.webhook.payload),
      target.body
        ? valueFor(target.body, 0, hints).map((v) => ({ ...context.webhook.payload, ...(v as object) }))
        : fc.constant(context.webhook.payload),
    );
  } else if (target.body) {
    const coherent = coherentBody(target, context);
    valid = coherent ? fc.oneof(valueFor(target.body, 0, hints), coherent) : valueFor(target.body, 0, hints);
  } else {
    return fc.oneof(
      { arbitrary: fc.constant(NO_BODY), weight: 3 },
      { arbitrary: fc.jsonValue({ maxDepth: 2 }).map((v) => ({ body: JSON.stringify(v), mutated: true })), weight: 1 },
    );
  }
  return fc.oneof(
    { arbitrary: valid.map((v) => ({ body: JSON.stringify(v), mutated: false })), weight: 8 },
    {
      arbitrary: valid.chain(mutateValue).map((v) => ({ body: JSON.stringify(v) ?? 'undefined', mutated: true })),
      weight: 3,
    },
    { arbitrary: brokenJson.map((body) => ({ body, mutated: true })), weight: 1 },
    { arbitrary: fc.constant<FuzzBody>({ mutated: true }), weight: 1 },
  );
}

/** One request to the target: path parameters, query, credentials, headers and body, each valid or mutated. */
export function requestFor(target: FuzzTarget, context: FuzzContext): fc.Arbitrary<FuzzRequest> {
  const hints = fieldHints(context);
  const page = pagePartsFor(target, context);
  const noBody = target.method === 'GET' || target.method === 'DELETE';
  const parts = page
    ? page.map((p) => ({
        query: { query: p.query, mutated: p.mutated },
        body: p.body === undefined ? NO_BODY : { body: p.body, mutated: p.mutated },
        cookie: p.cookie,
      }))
    : fc
        .tuple(queryFor(target, hints), noBody ? fc.constant(NO_BODY) : bodyFor(target, context, hints))
        .map(([query, body]) => ({ query, body, cookie: undefined as string | undefined }));
  return fc
    .record({
      path: pathFor(target, context),
      parts,
      auth: authFor(target, context),
      contentType: page ? fc.constant('application/x-www-form-urlencoded') : contentTypes,
      headers: extraHeaders,
    })
    .map(({ path, parts: { query, body, cookie }, auth, contentType, headers }) => {
      const session = usesSession(target) ? context.session : undefined;
      return {
        method: target.method,
        url: `${path.path}${query.query}`,
        headers: {
          ...headers.headers,
          ...(auth.auth === undefined ? {} : { authorization: auth.auth }),
          ...(session ? { cookie: session.cookie, origin: session.origin } : {}),
          ...(cookie ? { cookie } : {}),
          ...(body.body === undefined ? {} : { 'content-type': contentType }),
        },
        ...(body.body === undefined ? {} : { body: body.body }),
        mutated:
          path.mutated ||
          query.mutated ||
          body.mutated ||
          auth.mutated ||
          headers.mutated ||
          (body.body !== undefined && !page && contentType !== 'application/json'),
      };
    });
}
