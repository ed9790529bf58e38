import { getAllPages, getJson, postJson, seg } from './api.ts';
import { h, section, Texts, table } from './dom.ts';
import type { MessageKey } from './messages.ts';
import { alertHistorySection, contactStatesList, statusText } from './shared-views.ts';
import type { AlertItem, Approval, CreditState, DayPack, Partner, PartnerCustomer, PartnerCustomers } from './types.ts';

/**
 * The partner's page (issue 13 point 4): its customers with credit levels and charges in one table, drill-down
 * links, the purchase changes waiting for approval (with a grant button), its alert contacts with their states (and
 * a button to ask one to confirm again), its alert history and its day packs.
 */

/** How long a grant from this page runs: long enough for the customer to retry, well inside the 90-day limit. */
const APPROVAL_DAYS = 7;

const CREDIT_TEXT: Readonly<Record<CreditState, MessageKey>> = {
  ok: 'creditOk',
  warning: 'creditWarning',
  approvalRequired: 'creditApprovalRequired',
  purchaseBlocked: 'creditPurchaseBlocked',
};
/** A symbol beside the word, so the state is read without colour. */
const CREDIT_SYMBOL: Readonly<Record<CreditState, string>> = {
  ok: '✓',
  warning: '⚠',
  approvalRequired: '◆',
  purchaseBlocked: '✕',
};

export async function renderPartnerPage(main: HTMLElement, language: Texts['language'], partnerId: string) {
  const base = `/v1/partners/${seg(partnerId)}`;
  const [partner, customers, alerts, dayPacks] = await Promise.all([
    getJson<Partner>(base),
    getJson<PartnerCustomers>(`${base}/customers`),
    getAllPages<AlertItem>(`/v1/alerts?recipient=${seg(`partner:${partnerId}`)}`, 'alerts'),
    getAllPages<DayPack>(`${base}/day-packs`, 'dayPacks'),
  ]);
  // The zone the customers' answer counts month to date in (the partner's, else the publisher's); the partner record's
  // own before any customer is rated; UTC when neither says.
  const texts = new Texts(language, customers.timeZone ?? partner.timeZone ?? 'UTC');
  const heading = main.querySelector('h1');
  if (heading) heading.textContent = texts.t('partnerTitle', { name: partner.name });

  main.append(
    section(
      'customers',
      texts.t('customersHeading'),
      customers.customers.length === 0
        ? h('p', {}, texts.t('customersNone'))
        : h('div', { class: 'table-scroll' }, customerTable(texts, customers.customers)),
      texts.asOf(customers.asOf),
    ),
    approvals(texts, base, customers.customers, customers.asOf),
    partnerContacts(texts, base, partner),
    alertHistorySection(texts, 'partner-alerts', 'partnerAlertsHeading', alerts),
    section(
      'day-packs',
      texts.t('dayPacksHeading'),
      dayPacks.length === 0
        ? h('p', {}, texts.t('dayPacksNone'))
        : h(
            'div',
            { class: 'table-scroll' },
            table(
              texts.t('dayPacksCaption'),
              [texts.t('colProduct'), texts.t('colDays'), texts.t('colIssued'), texts.t('colRedeemed')],
              dayPacks.map((pack) => [
                pack.productKey,
                String(pack.days),
                h('time', { datetime: pack.issuedAt }, texts.time(pack.issuedAt)),
                pack.redemption
                  ? texts.t('dayPackRedeemed', {
                      time: texts.time(pack.redemption.redeemedAt),
                      subscription: pack.redemption.subscriptionId,
                      end: texts.date(pack.redemption.termAfter.end),
                    })
                  : texts.t('dayPackUnused'),
              ]),
              { 'data-day-packs': '' },
            ),
          ),
      dayPacks.truncated ? h('p', { class: 'hint' }, texts.t('listTruncated', { count: dayPacks.length })) : null,
    ),
  );
}

/**
 * The partner's alert contacts with their delivery state, and for each that receives no alerts a button asking it to
 * confirm again (the publisher registers the addresses; the partner can only ask its people to confirm).
 */
function partnerContacts(texts: Texts, base: string, partner: Partner): HTMLElement {
  const states = partner.contactStates ?? [];
  return section(
    'partner-contacts',
    texts.t('partnerContactsHeading'),
    h('p', {}, texts.t('partnerContactsIntro')),
    states.length === 0
      ? h('p', {}, texts.t('partnerContactsNone'))
      : contactStatesList(texts, states, (state) => `${base}/contacts/${seg(state.address)}/confirmation`),
  );
}

function customerTable(texts: Texts, customers: readonly PartnerCustomer[]): HTMLTableElement {
  const money = (value: PartnerCustomer['monthToDate']) =>
    h('span', { 'data-value': value?.amount ?? '' }, texts.money(value));
  return table(
    texts.t('customersCaption'),
    [
      texts.t('colCustomer'),
      texts.t('colPlan'),
      texts.t('colStatus'),
      texts.t('colCreditState'),
      texts.t('colCreditLevels'),
      texts.t('colProvisionalCredit'),
      texts.t('colMonthToDate'),
      texts.t('colLargestMonth'),
    ],
    customers.map((customer) => [
      h(
        'a',
        {
          href: `/portal/subscriptions/${seg(customer.subscriptionId)}`,
          'data-customer-link': customer.subscriptionId,
        },
        customer.name || customer.subscriptionId,
      ),
      customer.planId ? `${customer.offerId} · ${customer.planId}` : '—',
      statusText(texts, customer.status),
      customer.creditState === null
        ? h('span', { 'data-credit-state': 'unknown' }, '—')
        : h(
            'span',
            { class: `credit credit-${customer.creditState}`, 'data-credit-state': customer.creditState },
            `${CREDIT_SYMBOL[customer.creditState]} ${texts.t(CREDIT_TEXT[customer.creditState])}`,
          ),
      customer.creditLevels
        ? `${texts.money(customer.creditLevels.warning)} / ${texts.money(customer.creditLevels.approvalRequired)} / ${texts.money(customer.creditLevels.purchaseBlocked)}`
        : '—',
      money(customer.provisionalCredit),
      money(customer.monthToDate),
      largestMonth(texts, customer.largestMonthlyCharge),
    ]),
    { 'data-customers': '' },
  );
}

/**
 * The largest monthly charge with its month (the month-start check's figure: its month tells the partner when it
 * leaves the six-month window). A month is a calendar month, not an instant, so it is named as is (UTC), not shifted.
 */
function largestMonth(texts: Texts, largest: PartnerCustomer['largestMonthlyCharge']): HTMLElement {
  const amount = texts.money(largest ?? undefined);
  const month = largest?.month;
  return h(
    'span',
    { 'data-value': largest?.amount ?? '', ...(month ? { 'data-largest-month': month } : {}) },
    month ? texts.t('largestMonthIn', { amount, month: texts.month(`${month}-01T00:00:00Z`, 'UTC') }) : amount,
  );
}

/**
 * The approvals section: each customer that is at "approval required" (its plan and seat changes are refused until the
 * partner approves) or still has an approval running, with the approvals granted and their expiry, and for the former a
 * button that grants any change for seven days.
 */
/** `asOf`: the server's time of the customers answer, from which approvals are granted (see `grantButton`). */
function approvals(texts: Texts, base: string, customers: readonly PartnerCustomer[], asOf: string): HTMLElement {
  const listed = customers.filter(
    (customer) => customer.creditState === 'approvalRequired' || (customer.pendingApprovals ?? []).length > 0,
  );
  if (listed.length === 0)
    return section('approvals', texts.t('approvalsHeading'), h('p', {}, texts.t('approvalsNone')));
  const rows = listed.map((customer) => {
    const name = customer.name || customer.subscriptionId;
    const granted = (customer.pendingApprovals ?? []).map((approval) =>
      h(
        'li',
        { 'data-approval': approval.id },
        texts.t('approvalUntil', {
          change:
            [
              approval.planId ? texts.t('approvalPlan', { plan: approval.planId }) : '',
              approval.maxQuantity !== null
                ? texts.t('approvalQuantity', { quantity: String(approval.maxQuantity) })
                : '',
            ]
              .filter(Boolean)
              .join(', ') || texts.t('approvalAny'),
          time: texts.time(approval.expiresAt),
        }),
      ),
    );
    const result = h('span', { role: 'status', class: 'approval-result' });
    const action =
      customer.creditState === 'approvalRequired'
        ? grantButton(texts, base, customer, name, result, asOf)
        : h('span', {}, texts.t('approvalNotNeeded'));
    return [
      h('a', { href: `/portal/subscriptions/${seg(customer.subscriptionId)}` }, name),
      granted.length === 0 ? texts.t('approvalsNoneGranted') : h('ul', { class: 'approvals' }, ...granted),
      h('span', {}, action, ' ', result),
    ];
  });
  return section(
    'approvals',
    texts.t('approvalsHeading'),
    h(
      'div',
      { class: 'table-scroll' },
      table(
        texts.t('approvalsCaption'),
        [texts.t('colCustomer'), texts.t('colApprovals'), texts.t('colAction')],
        rows,
        { 'data-approvals': '' },
      ),
    ),
  );
}

/**
 * Grants any plan or seat change for `APPROVAL_DAYS` (the partner narrows it through the API when it must), counted
 * from the server's time (`serverNow`, the answer's `asOf`), not the browser's: a computer whose clock is days off
 * (or the local mode's moved clock) would otherwise grant a shorter approval, or one already expired, which the API
 * refuses.
 */
function grantButton(
  texts: Texts,
  base: string,
  customer: PartnerCustomer,
  name: string,
  result: HTMLElement,
  serverNow: string,
): HTMLButtonElement {
  const button = h(
    'button',
    {
      type: 'button',
      'aria-label': texts.t('approvalGrantFor', { customer: name }),
      'data-approve': customer.subscriptionId,
    },
    texts.t('approvalGrant'),
  );
  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      const approval = await postJson<Approval>(`${base}/approvals`, {
        subscriptionId: customer.subscriptionId,
        expiresAt: new Date(Date.parse(serverNow) + APPROVAL_DAYS * 86_400_000).toISOString(),
      });
      result.textContent = texts.t('approvalGranted', { time: texts.time(approval.expiresAt) });
    } catch (error) {
      result.textContent = texts.t('approvalFailed', {
        message: error instanceof Error ? error.message : String(error),
      });
      button.disabled = false;
    }
  });
  return button;
}
