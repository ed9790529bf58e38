import { describe, expect, it } from 'vitest';
import { parseStoredClientSecret } from '#shared/adapters/marketplace/stored-client-secret.ts';
import { assessEntraCredential, daysUntil, EXPIRY_WARNING_DAYS } from '#shared/domain/entra-credential.ts';
import type { CanaryStreak } from '#shared/domain/scheduled-runs.ts';
import { checkEntraCredential } from '#shared/use-cases/operations/check-entra-credential.ts';
import { checkHealth } from '#shared/use-cases/operations/check-health.ts';
import type {
  EntraCredentialDescription,
  EntraCredentialInspector,
  MarketplaceTokenProbe,
} from '#shared/use-cases/operations/ports/entra-credential-inspector.ts';
import {
  DAYS_LEFT_REPORT_HOUR_UTC,
  ENTRA_CANARY_EVERY_MINUTES,
  runEntraCanary,
} from '#shared/use-cases/operations/run-entra-canary.ts';
import { FixedClock } from '#test/helpers/fixed-clock.ts';

const NOW = new Date('2026-12-07T10:00:00Z');
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:EntraClientSecret-AbCdEf';

/** A secret marked as still to be set (JSON with a `placeholder` note), whatever value came with it. */
const generatedPlaceholder = () =>
  JSON.stringify({
    placeholder: 'Not set: put the Entra app client secret here',
    clientSecret: 'Xq3v9Lr2Tn8Wm4Zp7Ks1Hd6Jb5Gc0Fa2Ye8Uo3Ri',
  });

const aSecret = (overrides: Partial<EntraCredentialDescription> = {}): EntraCredentialDescription => ({
  kind: 'secret',
  location: { store: 'secretsManager', name: SECRET_ARN },
  placeholder: false,
  ...overrides,
});
const inspectorOf = (description: EntraCredentialDescription | Error): EntraCredentialInspector => ({
  describe: async () => {
    if (description instanceof Error) throw description;
    return description;
  },
});
const daysFromNow = (days: number) => new Date(NOW.getTime() + days * 86_400_000);

describe('the stored Entra client secret', () => {
  it('reads a plain secret as the value, with no expiry (secrets stored before expiries were)', () => {
    expect(parseStoredClientSecret('abc8Q~plain.secret-value')).toEqual({
      clientSecret: 'abc8Q~plain.secret-value',
      placeholder: false,
    });
  });

  it('reads JSON with the secret and its expiry date', () => {
    const stored = parseStoredClientSecret('{"clientSecret":"abc8Q~x","expiresOn":"2027-06-01"}');

    expect(stored).toEqual({
      clientSecret: 'abc8Q~x',
      placeholder: false,
      expiresOn: new Date('2027-06-01T00:00:00Z'),
    });
  });

  it('recognises a secret marked as a placeholder, whatever value came with it', () => {
    const stored = parseStoredClientSecret(generatedPlaceholder());

    expect(stored.placeholder).toBe(true);
    expect(parseStoredClientSecret('Xq3v9Lr2Tn8Wm4Zp7Ks1Hd6Jb5Gc0Fa2Ye8Uo3Ri').placeholder).toBe(false);
  });

  it('keeps an expiry that is not a date as unreadable rather than failing the secret', () => {
    const stored = parseStoredClientSecret('{"clientSecret":"abc8Q~x","expiresOn":"next June"}');

    expect(stored).toEqual({ clientSecret: 'abc8Q~x', placeholder: false, unreadableExpiry: 'next June' });
  });

  it('takes a secret that merely starts with "{" as the value', () => {
    expect(parseStoredClientSecret('{abc~not-json').clientSecret).toBe('{abc~not-json');
    expect(parseStoredClientSecret('{"other":"field"}').clientSecret).toBe('{"other":"field"}');
  });
});

describe('assessing the Entra credential', () => {
  it('counts whole days left, rounded down', () => {
    expect(daysUntil(new Date('2026-12-08T09:59:59Z'), NOW)).toBe(0);
    expect(daysUntil(new Date('2026-12-08T10:00:00Z'), NOW)).toBe(1);
  });

  it.each([
    [{ placeholder: true, expiresOn: daysFromNow(400) }, 'placeholder', false],
    [{ placeholder: false, expiresOn: daysFromNow(-1) }, 'expired', false],
    [{ placeholder: false, expiresOn: NOW }, 'expired', false],
    [{ placeholder: false, expiresOn: daysFromNow(EXPIRY_WARNING_DAYS) }, 'expiring', true],
    [{ placeholder: false, expiresOn: daysFromNow(EXPIRY_WARNING_DAYS + 1) }, 'ready', true],
    [{ placeholder: false }, 'unknownExpiry', true],
    [{ placeholder: false, neverExpires: true }, 'ready', true],
  ] as const)('%o is %s (usable: %s)', (facts, state, usable) => {
    expect(assessEntraCredential(facts, NOW)).toMatchObject({ state, usable });
  });
});

describe('checking the Entra credential', () => {
  const clock = new FixedClock(NOW.toISOString());

  it('reports the placeholder as not ok, with the command that puts the real secret', async () => {
    const report = await checkEntraCredential({ inspector: inspectorOf(aSecret({ placeholder: true })), clock });

    expect(report).toMatchObject({ ok: false, state: 'placeholder', kind: 'secret' });
    expect(report.message).toContain(`aws secretsmanager put-secret-value --secret-id ${SECRET_ARN}`);
  });

  it('reports an expiring secret as ok, with its date, days left and how to rotate', async () => {
    const report = await checkEntraCredential({
      inspector: inspectorOf(aSecret({ expiresOn: new Date('2026-12-27T00:00:00Z') })),
      clock,
    });

    expect(report).toMatchObject({ ok: true, state: 'expiring', expiresOn: '2026-12-27', daysLeft: 19 });
    expect(report.message).toMatch(/Add a new client secret .* in Entra/);
    expect(report.message).toContain('put-secret-value');
  });

  it('names the put-parameter command for a secret kept in an SSM parameter, missing or expiring', async () => {
    const location = { store: 'parameterStore', name: '/Marketplace/entra/client-secret' } as const;
    const missing = await checkEntraCredential({
      inspector: inspectorOf(aSecret({ placeholder: true, location })),
      clock,
    });
    const expiring = await checkEntraCredential({
      inspector: inspectorOf(aSecret({ location, expiresOn: daysFromNow(10) })),
      clock,
    });

    expect(missing).toMatchObject({ ok: false, state: 'placeholder' });
    expect(missing.message).toMatch(
      /^Not set: the SSM parameter \/Marketplace\/entra\/client-secret .* does not exist yet/,
    );
    for (const report of [missing, expiring]) {
      expect(report.message).toContain(
        'aws ssm put-parameter --name /Marketplace/entra/client-secret --type SecureString --overwrite --value',
      );
    }
    expect(expiring).toMatchObject({ ok: true, state: 'expiring', daysLeft: 10 });
  });

  it('tells how to store the expiry of a secret stored without one', async () => {
    const report = await checkEntraCredential({ inspector: inspectorOf(aSecret()), clock });

    expect(report).toMatchObject({ ok: true, state: 'unknownExpiry' });
    expect(report.message).toContain('"expiresOn":"<YYYY-MM-DD>"');
  });

  it('names the variable to set in local mode, and a new certificate for a certificate', async () => {
    const local = await checkEntraCredential({
      inspector: inspectorOf(
        aSecret({ placeholder: true, location: { store: 'environment', name: 'ENTRA_CLIENT_SECRET' } }),
      ),
      clock,
    });
    const certificate = await checkEntraCredential({
      inspector: inspectorOf(aSecret({ kind: 'certificate', expiresOn: daysFromNow(-3) })),
      clock,
    });

    expect(local.message).toContain('Set ENTRA_CLIENT_SECRET');
    expect(certificate).toMatchObject({ ok: false, state: 'expired' });
    expect(certificate.message).toContain('Upload a new certificate');
  });

  it('reports material that cannot be read without throwing, naming only the error kind', async () => {
    const denied = Object.assign(new Error('User arn:aws:sts::1:assumed-role/x is not authorized'), {
      name: 'AccessDeniedException',
    });

    const report = await checkEntraCredential({ inspector: inspectorOf(denied), clock });

    expect(report).toMatchObject({ ok: false, state: 'unreadable' });
    expect(report.message).toContain('AccessDeniedException');
    expect(report.message).not.toContain('assumed-role');
  });
});

describe('the health report with the Entra credential', () => {
  const clock = new FixedClock(NOW.toISOString());
  const reachable = { name: 'table', check: async () => undefined };

  it('is unhealthy while the secret is the placeholder, and says what to run', async () => {
    const report = await checkHealth({
      probes: [reachable],
      credential: () => checkEntraCredential({ inspector: inspectorOf(aSecret({ placeholder: true })), clock }),
    });

    expect(report.healthy).toBe(false);
    expect(report.checks.table).toEqual({ ok: true });
    expect(report.checks.entraCredential).toMatchObject({ ok: false, state: 'placeholder' });
    expect(report.checks.entraCredential?.message).toContain('put-secret-value');
  });

  it('stays healthy with a secret expiring soon, reporting its days left', async () => {
    const report = await checkHealth({
      probes: [reachable],
      credential: () =>
        checkEntraCredential({ inspector: inspectorOf(aSecret({ expiresOn: daysFromNow(10) })), clock }),
    });

    expect(report.healthy).toBe(true);
    expect(report.checks.entraCredential).toMatchObject({ ok: true, state: 'expiring', daysLeft: 10 });
  });
});

/** The canary's memory between runs, counting its writes. */
function inMemoryStreaks(initial?: CanaryStreak) {
  const store = {
    streak: initial,
    writes: 0,
    read: async () => store.streak,
    write: async (streak: CanaryStreak) => {
      store.streak = streak;
      store.writes += 1;
    },
  };
  return store;
}

describe('the Entra canary', () => {
  const tokenIssued = { acquireToken: async () => ({ expiresOn: daysFromNow(1) }) };
  const landingAnswers = (status: number) => ({ open: async () => ({ status }) });
  const tokenRefused = { acquireToken: async () => Promise.reject(new Error('AADSTS7000215: Invalid client secret')) };

  it('passes when a token is issued, the landing page answers below 500 and the credential is usable', async () => {
    const result = await runEntraCanary({
      tokens: tokenIssued,
      landing: landingAnswers(303),
      inspector: inspectorOf(aSecret({ expiresOn: daysFromNow(200) })),
      clock: new FixedClock('2026-12-07T10:30:00Z'),
      streaks: inMemoryStreaks(),
    });

    expect(result).toMatchObject({ ok: true, token: { ok: true }, landing: { ok: true, status: 303 } });
    expect(result.daysLeftToReport).toBeUndefined();
  });

  it('fails on each broken part and reports every one', async () => {
    const result = await runEntraCanary({
      tokens: tokenRefused,
      landing: landingAnswers(502),
      inspector: inspectorOf(aSecret({ placeholder: true })),
      clock: new FixedClock('2026-12-07T10:30:00Z'),
      streaks: inMemoryStreaks(),
    });

    expect(result.ok).toBe(false);
    expect(result.token).toEqual({ ok: false, error: 'Error: AADSTS7000215: Invalid client secret' });
    expect(result.landing).toEqual({ ok: false, status: 502 });
    expect(result.credential).toMatchObject({ ok: false, state: 'placeholder' });
  });

  it('fails when the landing page does not answer at all', async () => {
    const result = await runEntraCanary({
      tokens: tokenIssued,
      landing: { open: async () => Promise.reject(new TypeError('fetch failed')) },
      inspector: inspectorOf(aSecret({ expiresOn: daysFromNow(200) })),
      clock: new FixedClock('2026-12-07T10:30:00Z'),
      streaks: inMemoryStreaks(),
    });

    expect(result).toMatchObject({ ok: false, landing: { ok: false, error: 'TypeError: fetch failed' } });
  });

  it('reports the days left once a day, in the run of the report hour, when the expiry is known', async () => {
    const at = (hour: number) => new FixedClock(`2026-12-07T${String(hour).padStart(2, '0')}:20:00Z`);
    const known = inspectorOf(aSecret({ expiresOn: daysFromNow(25) }));
    const run = (hour: number, inspector = known) =>
      runEntraCanary({
        tokens: tokenIssued,
        landing: landingAnswers(303),
        inspector,
        clock: at(hour),
        streaks: inMemoryStreaks(),
      });

    const hours = await Promise.all(Array.from({ length: 24 }, (_, hour) => run(hour)));
    const unknown = await run(DAYS_LEFT_REPORT_HOUR_UTC, inspectorOf(aSecret()));

    const reported = hours.filter((result) => result.daysLeftToReport !== undefined);
    expect(reported).toHaveLength(1);
    expect(reported[0]?.daysLeftToReport).toBe(daysUntil(daysFromNow(25), at(DAYS_LEFT_REPORT_HOUR_UTC).now()));
    expect(unknown.daysLeftToReport).toBeUndefined();
  });

  it('confirms a failure only when the attempt before failed too, and a pass resets the streak', async () => {
    const streaks = inMemoryStreaks();
    const clock = new FixedClock('2026-12-07T10:20:00Z');
    const attempt = async (tokens: MarketplaceTokenProbe) => {
      const result = await runEntraCanary({
        tokens,
        landing: landingAnswers(303),
        inspector: inspectorOf(aSecret({ expiresOn: daysFromNow(200) })),
        clock,
        streaks,
      });
      clock.advanceMinutes(ENTRA_CANARY_EVERY_MINUTES);
      return { ok: result.ok, failuresInARow: result.failuresInARow, confirmed: result.confirmedFailure };
    };

    const outcomes = [
      await attempt(tokenRefused),
      await attempt(tokenIssued),
      await attempt(tokenRefused),
      await attempt(tokenRefused),
      await attempt(tokenRefused),
    ];

    expect(outcomes).toEqual([
      { ok: false, failuresInARow: 1, confirmed: false },
      { ok: true, failuresInARow: 0, confirmed: false },
      { ok: false, failuresInARow: 1, confirmed: false },
      { ok: false, failuresInARow: 2, confirmed: true },
      { ok: false, failuresInARow: 3, confirmed: true },
    ]);
  });

  it('writes nothing in a healthy hour after a healthy one', async () => {
    const streaks = inMemoryStreaks({ failuresInARow: 0, lastAttemptAt: new Date('2026-12-07T09:20:00Z') });

    await runEntraCanary({
      tokens: tokenIssued,
      landing: landingAnswers(303),
      inspector: inspectorOf(aSecret({ expiresOn: daysFromNow(200) })),
      clock: new FixedClock('2026-12-07T10:20:00Z'),
      streaks,
    });

    expect(streaks.writes).toBe(0);
  });
});
