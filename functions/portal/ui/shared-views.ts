import { postJson, type ReadList } from './api.ts';
import { h, section, type Texts, table } from './dom.ts';
import type { MessageKey } from './messages.ts';
import type { AlertDeliveryJson, AlertItem, ContactConfirmationJson, ContactStateJson } from './types.ts';

/** Pieces both the subscription and the partner pages show: statuses and the alert history table. */

const STATUS_TEXT: Readonly<Record<string, MessageKey>> = {
  PendingFulfillmentStart: 'statusPendingFulfillmentStart',
  Subscribed: 'statusSubscribed',
  Suspended: 'statusSuspended',
  Unsubscribed: 'statusUnsubscribed',
};

export function statusText(texts: Texts, status: string): string {
  const key = STATUS_TEXT[status];
  return key ? texts.t(key) : status;
}

const RULE_TEXT: Readonly<Record<string, MessageKey>> = {
  budgetThreshold: 'ruleBudgetThreshold',
  budgetForecast: 'ruleBudgetForecast',
  spike: 'ruleSpike',
  provisionalCreditExceeded: 'ruleProvisionalCreditExceeded',
  monthStartBlocked: 'ruleMonthStartBlocked',
  currentStatusBlocked: 'ruleCurrentStatusBlocked',
  chargesOverCreditLevel: 'ruleChargesOverCreditLevel',
  plannedOverCreditLevel: 'rulePlannedOverCreditLevel',
  purchaseChangeRejected: 'rulePurchaseChangeRejected',
};

export function ruleText(texts: Texts, rule: string): string {
  const key = RULE_TEXT[rule];
  return key ? texts.t(key) : rule;
}

const CONTACT_STATE_TEXT: Readonly<Record<ContactStateJson['status'], MessageKey>> = {
  pending: 'contactStatePending',
  active: 'contactStateActive',
  bounced: 'contactStateBounced',
  complained: 'contactStateComplained',
  optedOut: 'contactStateOptedOut',
  unknown: 'contactStateUnknown',
};

/** Why a pending contact is pending again: what it did before the owner asked it to confirm anew. */
const RECONFIRMING_TEXT: Readonly<Record<NonNullable<ContactStateJson['reconfirmingFrom']>, MessageKey>> = {
  bounced: 'contactReconfirmingBounced',
  complained: 'contactReconfirmingComplained',
  optedOut: 'contactReconfirmingOptedOut',
};

/**
 * Each contact with its delivery state ("confirmation pending", "bounced", …) and the rules it muted, so whoever
 * edits the contacts sees who actually receives alerts. Empty when there are no contacts.
 *
 * With `resendPath` (the contact's `…/contacts/{contact}/confirmation` route), every contact that does not receive
 * alerts gets a button that asks it to confirm again (a POST with the session's CSRF token); the answer's state
 * replaces the shown one, and a refusal (409, 429) shows the API's message, which says when or who can help.
 */
export function contactStatesList(
  texts: Texts,
  states: readonly ContactStateJson[],
  resendPath?: (state: ContactStateJson) => string,
): HTMLElement {
  const list = h('ul', { class: 'contact-states', 'data-contact-states': '' });
  for (const state of states) {
    const item = h('li', { 'data-contact-status': state.status });
    const stateText = h('span', { class: 'contact-state' }, contactStateText(texts, state));
    item.append(h('span', { class: 'contact-address' }, state.address), stateText);
    if (resendPath && state.status !== 'active') {
      item.append(' ', resendButton(texts, state, resendPath(state), item, stateText));
    }
    list.append(item);
  }
  return list;
}

function contactStateText(texts: Texts, state: ContactStateJson): string {
  const muted =
    state.mutedRules.length > 0
      ? ` (${texts.t('contactStateMuted', { rules: state.mutedRules.map((rule) => ruleText(texts, rule)).join(', ') })})`
      : '';
  const again = state.reconfirmingFrom ? ` (${texts.t(RECONFIRMING_TEXT[state.reconfirmingFrom])})` : '';
  return ` — ${texts.t(CONTACT_STATE_TEXT[state.status] ?? 'contactStateUnknown')}${again}${muted}`;
}

function resendButton(
  texts: Texts,
  state: ContactStateJson,
  path: string,
  item: HTMLElement,
  stateText: HTMLElement,
): HTMLElement {
  const result = h('span', { role: 'status', class: 'contact-resend-result', 'data-resend-result': state.address });
  const button = h(
    'button',
    {
      type: 'button',
      'aria-label': texts.t('contactResendFor', { address: state.address }),
      'data-resend': state.address,
    },
    texts.t('contactResend'),
  );
  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      const answer = await postJson<ContactConfirmationJson>(path);
      item.setAttribute('data-contact-status', answer.status);
      stateText.textContent = contactStateText(texts, answer);
      result.textContent = texts.t('contactResent', { time: texts.time(answer.confirmationSentAt) });
    } catch (error) {
      result.textContent = texts.t('contactResendFailed', {
        message: error instanceof Error ? error.message : String(error),
      });
    }
    button.disabled = false;
  });
  return h('span', { class: 'contact-resend' }, button, ' ', result);
}

/** A budget threshold is a fraction ("0.5" → 50%); a credit threshold names a level. */
function thresholdText(texts: Texts, threshold: string | undefined): string {
  if (threshold === undefined) return '';
  if (/^\d+(\.\d+)?$/.test(threshold)) return texts.percent(Number(threshold));
  const level: Readonly<Record<string, MessageKey>> = {
    warning: 'creditWarning',
    approvalRequired: 'creditApprovalRequired',
    purchaseBlocked: 'creditPurchaseBlocked',
  };
  const key = level[threshold];
  return key ? texts.t(key) : threshold;
}

/**
 * An alert-history section: the alerts as a table (newest first, as the API lists them), or a line saying none; and,
 * when the list was cut (`getAllPages` marks it `truncated`), a line saying that older alerts are left out.
 */
export function alertHistorySection(
  texts: Texts,
  id: string,
  heading: MessageKey,
  alerts: ReadList<AlertItem>,
): HTMLElement {
  return section(
    id,
    texts.t(heading),
    alerts.length === 0
      ? h('p', {}, texts.t('alertsNone'))
      : h(
          'div',
          { class: 'table-scroll' },
          table(texts.t('alertsCaption'), alertTableHead(texts), alertRows(texts, alerts), { 'data-alerts': '' }),
        ),
    alerts.truncated
      ? h('p', { class: 'hint', 'data-alerts-truncated': '' }, texts.t('alertsTruncated', { count: alerts.length }))
      : null,
  );
}

function alertTableHead(texts: Texts): string[] {
  return [
    texts.t('colTime'),
    texts.t('colAlert'),
    texts.t('colThreshold'),
    texts.t('colMessage'),
    texts.t('colDelivery'),
  ];
}

function alertRows(texts: Texts, alerts: readonly AlertItem[]) {
  return alerts.map((alert) => [
    h('time', { datetime: alert.createdAt }, texts.time(alert.createdAt)),
    h('span', { 'data-rule': alert.rule, class: `severity-${alert.severity}` }, ruleText(texts, alert.rule)),
    thresholdText(texts, alert.threshold),
    alert.subject,
    delivery(texts, alert),
  ]);
}

const ALERT_STATE_TEXT: Readonly<Record<string, MessageKey>> = {
  pending: 'alertStatePending',
  sent: 'alertStateSent',
};

const DELIVERY_STATE_TEXT: Readonly<Record<AlertDeliveryJson['state'], MessageKey>> = {
  sending: 'deliverySending',
  sent: 'deliverySent',
  held: 'deliveryHeld',
  retry: 'deliveryRetry',
  suppressed: 'deliverySuppressed',
  failed: 'deliveryFailed',
};

/**
 * Whether the alert went out (`state`: handed to the notifier or still being sent) and, per contact of its recipient,
 * what became of it: only these say whether it reached anyone (a contact that has not confirmed gets nothing yet).
 */
function delivery(texts: Texts, alert: AlertItem): HTMLElement {
  const stateKey = ALERT_STATE_TEXT[alert.state];
  const deliveries = alert.deliveries ?? [];
  return h(
    'span',
    { 'data-alert-state': alert.state },
    stateKey ? texts.t(stateKey) : alert.state,
    deliveries.length === 0
      ? null
      : h(
          'ul',
          { class: 'deliveries' },
          ...deliveries.map((item) =>
            h(
              'li',
              { 'data-delivery-state': item.state, 'data-delivery-address': item.address },
              `${item.address}: ${DELIVERY_STATE_TEXT[item.state] ? texts.t(DELIVERY_STATE_TEXT[item.state]) : item.state}`,
            ),
          ),
        ),
  );
}
