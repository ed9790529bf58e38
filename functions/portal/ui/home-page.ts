import { getAllPages, getJson, seg } from './api.ts';
import { h, section, Texts, table, uniqueId } from './dom.ts';
import { statusText } from './shared-views.ts';
import type { Me, SubscriptionSummary } from './types.ts';

/**
 * Home (`/portal`): who is signed in decides the content (`GET /v1/me`): a partner gets a link to its partner page,
 * everyone the subscriptions they may see (`GET /v1/subscriptions`, all pages of it), each a link to its page.
 */
/**
 * The most subscriptions the home page lists (and filters): a publisher administrator sees every subscription, so more
 * than other lists' bound, still a bound on one page load (100 requests of 100).
 */
const MAX_HOME_SUBSCRIPTIONS = 10_000;

export async function renderHomePage(main: HTMLElement, language: Texts['language']) {
  const texts = new Texts(language);
  const [me, subscriptions] = await Promise.all([
    getJson<Me>('/v1/me'),
    getAllPages<SubscriptionSummary>('/v1/subscriptions', 'subscriptions', MAX_HOME_SUBSCRIPTIONS),
  ]);
  const content: Node[] = [h('p', {}, texts.t('homeIntro'))];
  if (me.role === 'partner' && me.partnerId) {
    content.push(
      h(
        'p',
        { class: 'partner-link' },
        h(
          'a',
          { href: `/portal/partners/${seg(me.partnerId)}`, 'data-partner-link': me.partnerId },
          texts.t('homePartnerLink', { partner: me.partnerId }),
        ),
      ),
    );
  }
  if (subscriptions.length === 0) {
    content.push(h('p', {}, texts.t('homeNone')));
  } else {
    const rows = subscriptions.map((subscription) => ({ subscription, row: subscriptionRow(texts, subscription) }));
    const list = table(
      texts.t('homeTitle'),
      [
        texts.t('colSubscription'),
        texts.t('colOffer'),
        texts.t('colPlan'),
        texts.t('colQuantity'),
        texts.t('colStatus'),
      ],
      rows.map((entry) => entry.row),
      { 'data-subscriptions': '' },
    );
    const count = h('p', { role: 'status', class: 'hint' });
    const showCount = (shown: number) => {
      count.textContent = texts.t('homeCount', { shown, total: subscriptions.length });
    };
    showCount(subscriptions.length);
    // A filter helps the publisher (who sees every subscription); it is harmless for a customer with a few.
    const filterId = uniqueId('filter');
    const filter = h('input', { type: 'search', id: filterId, 'aria-describedby': `${filterId}-hint` });
    filter.addEventListener('input', () => {
      const needle = filter.value.trim().toLowerCase();
      const bodyRows = list.tBodies[0]?.rows ?? [];
      let shown = 0;
      rows.forEach(({ subscription }, index) => {
        const haystack = [subscription.name, subscription.id, subscription.offerId, subscription.planId]
          .join(' ')
          .toLowerCase();
        const visible = haystack.includes(needle);
        const row = bodyRows[index];
        if (row) row.hidden = !visible;
        if (visible) shown += 1;
      });
      showCount(shown);
    });
    content.push(
      h(
        'div',
        { class: 'field' },
        h('label', { for: filterId }, texts.t('homeFilter')),
        h('p', { id: `${filterId}-hint`, class: 'hint' }, texts.t('homeFilterHint')),
        filter,
      ),
      count,
      h('div', { class: 'table-scroll' }, list),
    );
    if (subscriptions.truncated) {
      content.push(h('p', { class: 'hint' }, texts.t('listTruncated', { count: subscriptions.length })));
    }
  }
  main.append(section('subscriptions', texts.t('homeTitle'), ...content));
}

function subscriptionRow(texts: Texts, subscription: SubscriptionSummary) {
  return [
    h(
      'a',
      { href: `/portal/subscriptions/${seg(subscription.id)}`, 'data-subscription-link': subscription.id },
      subscription.name || subscription.id,
    ),
    subscription.offerId,
    subscription.planId,
    subscription.quantity === undefined ? '—' : String(subscription.quantity),
    statusText(texts, subscription.status),
  ];
}
