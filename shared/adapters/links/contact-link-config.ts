import * as z from 'zod';
import { sessionSecretReader } from '#shared/adapters/entra/secret-source.ts';
import { SESSION_SETTINGS, sessionSecretSource } from '#shared/adapters/entra/sign-in-config.ts';
import { contactLinkKeyFrom, SignedContactLinks } from '#shared/adapters/links/signed-contact-links.ts';
import { required } from '#shared/config/settings.ts';
import { ENV } from '#shared/env-names.ts';

/**
 * What signing or checking contact links needs: the session key material (the link key is derived from it) and the public
 * base URL the links point at. For the Api (confirmation links when a budget or partner is saved), the notifier
 * (unsubscribe links in every alert) and the ContactPages function (which checks them).
 */
export const CONTACT_LINK_SETTINGS = {
  ...SESSION_SETTINGS,
  [ENV.contactLinksBaseUrl]: required('the public https base URL of the API, e.g. https://api.example.com').pipe(
    z.url({ protocol: /^https?$/, error: 'must be an http(s) URL such as https://api.example.com' }),
  ),
};

/**
 * The links of the parsed settings (with the function's `TABLE_NAME`, where the key material is kept unless
 * `SESSION_SECRET` is set); the material is read when the first link is made or checked.
 */
export function contactLinksOf(
  values: z.output<z.ZodObject<typeof CONTACT_LINK_SETTINGS>> & { readonly [ENV.tableName]?: string },
): SignedContactLinks {
  return new SignedContactLinks(
    contactLinkKeyFrom(sessionSecretReader(sessionSecretSource(values))),
    values[ENV.contactLinksBaseUrl],
  );
}
