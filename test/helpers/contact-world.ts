import { contactLinkKey, SignedContactLinks } from '#shared/adapters/links/signed-contact-links.ts';
import { confirmContact } from '#shared/use-cases/alerts/follow-contact-link.ts';
import { RecordingChannels } from '#test/builders/channels.ts';
import { FixedClock } from '#test/helpers/fixed-clock.ts';
import { InMemoryContactStates } from '#test/helpers/in-memory-alert-settings.ts';

/** The contact lifecycle over in-memory states, recording channels and signed links on one fixed clock. */
export function aContactWorld() {
  const clock = new FixedClock('2026-11-01T00:00:00.000Z');
  const states = new InMemoryContactStates(() => clock.now());
  const channels = new RecordingChannels();
  const key = contactLinkKey('a-session-secret-of-at-least-32-characters-0123456789');
  // The links run on the test's clock too, so expiry can be tested by moving it.
  const links = new SignedContactLinks(
    async () => key,
    'https://api.example.com',
    () => clock.now(),
  );
  const lifecycle = {
    registry: states,
    changes: states,
    confirmations: states,
    confirmLinks: links,
    email: channels.email,
    sms: channels.sms,
    clock,
  };
  const pages = { tokens: links, states, changes: states, clock };
  /** The person presses Confirm on the page of the last link sent to `to`. */
  const personConfirms = (to: string) =>
    confirmContact(pages, new URL(channels.lastLinkTo(to)).searchParams.get('token') ?? '');
  return { clock, states, channels, links, lifecycle, pages, personConfirms };
}
