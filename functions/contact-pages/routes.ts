import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { logger } from '#shared/observability.ts';
import {
  type ContactLinkDeps,
  confirmContact,
  openContactLink,
  unsubscribeContact,
} from '#shared/use-cases/alerts/follow-contact-link.ts';
import type { ContactLinkPurpose } from '#shared/use-cases/alerts/ports/contact-links.ts';
import { contactKey } from '#shared/use-cases/alerts/ports/contact-states.ts';
import {
  chooseLanguage,
  confirmedPage,
  confirmPage,
  type Language,
  refusedPage,
  unavailablePage,
  unsubscribedPage,
  unsubscribePage,
} from './pages.ts';

/** Longest token accepted: an e-mail address of 254 characters in base64 plus the tag, with room to spare. */
const MAX_TOKEN_LENGTH = 600;
/** Longest form body read (a token and the one-click field). */
const MAX_FORM_LENGTH = 2_000;

/**
 * `GET|POST /contacts/confirm` and `GET|POST /contacts/unsubscribe`. GET shows a page and changes nothing (mail
 * scanners open links); POST acts. The token comes in the query string (the link, and the one-click POST of RFC 8058
 * to the List-Unsubscribe URL with the body `List-Unsubscribe=One-Click`) or in the form body (the page's button).
 */
export function contactPages(deps: ContactLinkDeps) {
  return async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
    const { method, purpose, token, oneClick } = contactRequestOf(event);
    const browserLanguage = chooseLanguage(undefined, event.headers?.['accept-language']);
    try {
      if (method === 'GET') {
        const opened = await openContactLink(deps, token, purpose);
        if (!opened.ok) return refusedPage(browserLanguage, purpose, opened.reason);
        const language = chooseLanguage(opened.state?.locale, event.headers?.['accept-language']);
        return purpose === 'confirm'
          ? confirmPage(language, opened.claims.contact, token)
          : unsubscribePage(language, opened.claims.contact, opened.claims.rule, token);
      }
      if (purpose === 'confirm') {
        const result = await confirmContact(deps, token);
        if (!result.ok) return refusedPage(browserLanguage, purpose, result.reason);
        logger.info('Contact confirmation followed', {
          channel: result.claims.contact.channel,
          outcome: result.outcome,
        });
        return confirmedPage(
          await languageOf(deps, result.claims.contact, event),
          result.claims.contact,
          result.outcome,
        );
      }
      const result = await unsubscribeContact(deps, token);
      if (!result.ok) return refusedPage(browserLanguage, purpose, result.reason);
      logger.info('Contact unsubscribed', {
        channel: result.claims.contact.channel,
        ...result.stopped,
        oneClick,
      });
      return unsubscribedPage(
        await languageOf(deps, result.claims.contact, event),
        result.claims.contact,
        result.stopped,
      );
    } catch (error) {
      // A store out of reach: nothing changed (each change is one conditional write); the person can try again.
      logger.error('Contact page failed', { error, purpose, method });
      return unavailablePage(browserLanguage);
    }
  };
}

async function languageOf(
  deps: ContactLinkDeps,
  contact: Parameters<typeof contactKey>[0],
  event: APIGatewayProxyEventV2,
): Promise<Language> {
  const state = (await deps.states.read([contact])).get(contactKey(contact));
  return chooseLanguage(state?.locale, event.headers?.['accept-language']);
}

/** What a request to a contact page asks: the method, the page, the token (form first, then query), one-click. */
export function contactRequestOf(event: APIGatewayProxyEventV2): {
  readonly method: 'GET' | 'POST';
  readonly purpose: ContactLinkPurpose;
  readonly token: string;
  /** RFC 8058: the mail client's POST to the List-Unsubscribe URL, body `List-Unsubscribe=One-Click`. */
  readonly oneClick: boolean;
} {
  const method = event.requestContext?.http?.method === 'POST' ? 'POST' : 'GET';
  const purpose: ContactLinkPurpose = event.rawPath.endsWith('/unsubscribe') ? 'unsubscribe' : 'confirm';
  const form = method === 'POST' ? formOf(event) : new URLSearchParams();
  const token = (form.get('token') ?? event.queryStringParameters?.token ?? '').slice(0, MAX_TOKEN_LENGTH);
  return { method, purpose, token, oneClick: form.get('List-Unsubscribe') === 'One-Click' };
}

function formOf(event: APIGatewayProxyEventV2): URLSearchParams {
  const body = (event.body ?? '').slice(0, MAX_FORM_LENGTH * 2);
  const text = event.isBase64Encoded ? Buffer.from(body, 'base64').toString('utf8') : body;
  return new URLSearchParams(text.slice(0, MAX_FORM_LENGTH));
}
