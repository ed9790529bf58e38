import { renderHomePage } from './home-page.ts';
import { format, MESSAGES, type PortalLanguage } from './messages.ts';
import { renderPartnerPage } from './partner-page.ts';
import { renderSubscriptionPage } from './subscription-page.ts';

/**
 * The portal's one script: reads which page the shell is (`data-view` on `<body>`, written by
 * `functions/portal/pages.ts`) and draws it from the `/v1` API.
 */

/** Remembered for a year: the switcher's choice outlives the one-hour session. */
const LANGUAGE_COOKIE_MAX_AGE = 365 * 86_400;

async function start(): Promise<void> {
  const body = document.body;
  const language: PortalLanguage = body.dataset.lang === 'ja' ? 'ja' : 'en';
  for (const link of document.querySelectorAll<HTMLAnchorElement>('[data-lang-switch]')) {
    link.addEventListener('click', () => {
      // biome-ignore lint/suspicious/noDocumentCookie: the Cookie Store API is missing from Firefox and older Safari.
      document.cookie = `mm_lang=${link.dataset.langSwitch}; Path=/; Max-Age=${LANGUAGE_COOKIE_MAX_AGE}; SameSite=Lax; Secure`;
    });
  }
  const main = document.getElementById('main');
  const status = document.getElementById('portal-status');
  if (!main) return;
  try {
    switch (body.dataset.view) {
      case 'subscription':
        await renderSubscriptionPage(main, language, body.dataset.subscriptionId ?? '');
        break;
      case 'partner':
        await renderPartnerPage(main, language, body.dataset.partnerId ?? '');
        break;
      default:
        await renderHomePage(main, language);
    }
    status?.remove();
    body.dataset.ready = 'true';
  } catch (error) {
    if (status) {
      status.textContent = format(MESSAGES[language].loadFailed, {
        what: document.title,
        message: error instanceof Error ? error.message : String(error),
      });
      status.classList.add('error');
    }
    body.dataset.ready = 'error';
  }
}

void start();
