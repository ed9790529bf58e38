import { describe, expect, it } from 'vitest';
import { lazySignInClient, type SignInClient } from '#shared/adapters/entra/sign-in-client.ts';

/** A sign-in client that records what it was asked. */
function recordingClient(calls: string[]): SignInClient {
  return {
    start: async (redirectUri) => {
      calls.push(`start ${redirectUri}`);
      return { url: 'https://login.example/authorize', checks: { state: 's', nonce: 'n', codeVerifier: 'v' } };
    },
    finish: async (callbackUrl) => {
      calls.push(`finish ${callbackUrl.pathname}`);
      return { tenantId: 't', objectId: 'o' };
    },
  };
}

describe('lazySignInClient', () => {
  it('reads nothing until the first sign-in, then builds the client once for every later call', async () => {
    const calls: string[] = [];
    let builds = 0;
    const client = lazySignInClient(async () => {
      builds += 1;
      return recordingClient(calls);
    });

    expect(builds).toBe(0);
    await Promise.all([client.start('https://app/auth/callback'), client.start('https://app/auth/callback')]);
    await client.finish(new URL('https://app/auth/callback?code=c'), { state: 's', nonce: 'n', codeVerifier: 'v' });

    expect(builds).toBe(1);
    expect(calls).toEqual([
      'start https://app/auth/callback',
      'start https://app/auth/callback',
      'finish /auth/callback',
    ]);
  });

  it('fails the sign-in that could not read its secret, and tries again on the next one', async () => {
    const calls: string[] = [];
    let builds = 0;
    const client = lazySignInClient(async () => {
      builds += 1;
      if (builds === 1) throw new Error('ParameterNotFound: /stack/sign-in-client-secret');
      return recordingClient(calls);
    });

    await expect(client.start('https://app/auth/callback')).rejects.toThrow(/ParameterNotFound/);
    await client.start('https://app/auth/callback');

    expect(builds).toBe(2);
    expect(calls).toEqual(['start https://app/auth/callback']);
  });
});
