import { describe, expect, it } from 'vitest';
import { type PublisherAdmins, principalOfUser } from '#shared/domain/access.ts';
import { isLocalPath, openSession, openSignIn, sealSession, sealSignIn, sessionKeys } from '#shared/http/session.ts';

const keys = sessionKeys('a-session-secret-of-at-least-thirty-two-characters');
const at = (iso: string) => () => new Date(iso);

describe('session cookies', () => {
  it('opens a session it sealed, with a fresh CSRF token, until one hour has passed', async () => {
    const { value, user } = await sealSession(keys, { tenantId: 't', objectId: 'o' }, at('2026-12-07T00:00:00Z'));

    expect(await openSession(keys, value, at('2026-12-07T00:59:59Z'))).toEqual(user);
    expect(user.csrfToken).toMatch(/^[\w-]{43}$/);
    expect(await openSession(keys, value, at('2026-12-07T01:00:01Z'))).toBeUndefined();
  });

  it('does not open a session sealed with another secret, a sign-in cookie as a session, or garbage', async () => {
    const other = sessionKeys('another-session-secret-of-thirty-two-characters');
    const { value } = await sealSession(other, { tenantId: 't', objectId: 'o' });
    const signIn = await sealSignIn(keys, { state: 's', nonce: 'n', codeVerifier: 'v', returnTo: '/portal' });

    expect(await openSession(keys, value)).toBeUndefined();
    expect(await openSession(keys, signIn)).toBeUndefined();
    expect(await openSession(keys, 'not.a.jwe.at.all')).toBeUndefined();
    expect(await openSignIn(keys, signIn)).toMatchObject({ state: 's', returnTo: '/portal' });
  });

  it('refuses a secret too short to give the keys their strength', () => {
    expect(() => sessionKeys('short')).toThrow('at least 32 characters');
  });

  it.each([
    ['/portal', true],
    ['/landing?token=a%2Bb', true],
    ['/portal/subscriptions/x?lang=ja#top', true],
    ['//evil.example', false],
    ['/\\evil.example', false],
    ['https://evil.example/', false],
    ['javascript:alert(1)', false],
    ['portal', false],
    ['/por\ttal', false],
  ])('treats %s as a local path: %s', (value, expected) => {
    expect(isLocalPath(value)).toBe(expected);
  });
});

describe('the principal of a signed-in user', () => {
  const admins: PublisherAdmins = { tenantId: 'pub', users: ['oid-admin', 'boss@publisher.example'], groupId: 'g-1' };

  it('makes listed users, listed e-mails and group members of the publisher tenant administrators', () => {
    expect(principalOfUser({ tenantId: 'pub', objectId: 'OID-ADMIN' }, admins, undefined).role).toBe('publisher');
    expect(
      principalOfUser({ tenantId: 'pub', objectId: 'x', email: 'Boss@Publisher.example' }, admins, undefined).role,
    ).toBe('publisher');
    expect(principalOfUser({ tenantId: 'pub', objectId: 'y', groups: ['g-1'] }, admins, undefined).role).toBe(
      'publisher',
    );
  });

  it('never makes a listed object id of another tenant an administrator', () => {
    expect(principalOfUser({ tenantId: 'other', objectId: 'oid-admin' }, admins, undefined)).toMatchObject({
      role: 'customer',
      tenantId: 'other',
    });
  });

  it('makes nobody an administrator when no admin tenant is configured', () => {
    expect(principalOfUser({ tenantId: 'pub', objectId: 'oid-admin' }, { users: ['oid-admin'] }, undefined).role).toBe(
      'customer',
    );
  });

  it('makes a user of a partner’s tenant that partner, carrying who they are for audit', () => {
    expect(principalOfUser({ tenantId: 'tp', objectId: 'o', name: 'Pia' }, admins, 'partner-p')).toEqual({
      role: 'partner',
      keyId: 'user:o',
      partnerId: 'partner-p',
      user: { tenantId: 'tp', objectId: 'o', name: 'Pia' },
    });
  });
});
