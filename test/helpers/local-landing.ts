import type { MarketplaceEmulator, TestUser } from '#infra/local/emulator/index.ts';
import { signInOnFakeEntra } from '#test/helpers/fake-entra-sign-in.ts';

/** `name=value` of each Set-Cookie of a response. */
const cookiesOf = (response: Response) => response.headers.getSetCookie().map((line) => line.split(';')[0] ?? '');

/**
 * Signs `user` (default: the emulator's preset customer) in on the running local system as a browser would:
 * `/auth/sign-in`, the fake Entra's form, `/auth/callback`.
 * @returns the `cookie` header that carries the session.
 */
export async function signInLocally(
  apiUrl: string,
  emulator: MarketplaceEmulator,
  user: Omit<TestUser, 'label'> | undefined = emulator.entra.signIn.users[0],
): Promise<string> {
  if (!user) throw new Error('No user to sign in');
  const start = await fetch(`${apiUrl}/auth/sign-in`, { redirect: 'manual' });
  const callback = await signInOnFakeEntra(start.headers.get('location') ?? '', emulator.entra.caCertificatePem, user);
  const done = await fetch(`${apiUrl}/auth/callback${callback.search}`, {
    redirect: 'manual',
    headers: { cookie: cookiesOf(start).join('; ') },
  });
  const session = cookiesOf(done).find((pair) => pair.startsWith('mm_session=') && pair.length > 'mm_session='.length);
  if (!session) throw new Error(`Sign-in did not complete (${done.status}): ${await done.text()}`);
  return session;
}

/**
 * The landing page as a signed-in customer uses it: sign in, open the purchase's landing URL, click Activate (the
 * form's token and CSRF token, from our own origin).
 */
export async function activateOnLandingPage(
  system: { readonly apiUrl: string; readonly emulator: MarketplaceEmulator },
  bought: { readonly landingUrl: string; readonly token: string },
): Promise<{ page: Response; activated: Response }> {
  const cookie = await signInLocally(system.apiUrl, system.emulator);
  const page = await fetch(bought.landingUrl, { headers: { cookie } });
  const html = await page.clone().text();
  const csrfToken = /name="csrfToken" value="([^"]*)"/.exec(html)?.[1] ?? '';
  const activated = await fetch(`${system.apiUrl}/landing`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie, origin: new URL(system.apiUrl).origin },
    body: new URLSearchParams({ token: bought.token, csrfToken }).toString(),
  });
  return { page, activated };
}
