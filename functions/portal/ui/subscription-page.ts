import { ApiError, getAllPages, getJson, putJson, seg } from './api.ts';
import { GRANULARITIES, usageChart } from './charts.ts';
import { h, section, Texts, table, uniqueId } from './dom.ts';
import { alertHistorySection, contactStatesList, statusText } from './shared-views.ts';
import type {
  AlertItem,
  Allowance,
  Budget,
  BudgetBody,
  Granularity,
  MoneyJson,
  SubscriptionSummary,
  Usage,
  UsageSeries,
} from './types.ts';

/**
 * The customer's page of one subscription (issue 13 point 3): now at a glance, usage graphs per dimension, the
 * charges by category, the alert history, and the budget form. Every figure comes from the `/v1` API (see
 * docs/portal.md "Pages" for which answer feeds which figure).
 */
export async function renderSubscriptionPage(main: HTMLElement, language: Texts['language'], id: string) {
  const base = `/v1/subscriptions/${seg(id)}`;
  // The current month only: the glance and the charges by category are this month's; the months before are the
  // monthly graphs', which read the series. Each month asked for is read and rated again (a year of 30 dimensions:
  // ~400 daily items of ~10 KB).
  const usagePath = `${base}/usage?months=1`;
  const [subscription, usageAnswer, budgetAnswer, allowance, alerts, ...series] = await Promise.all([
    getJson<SubscriptionSummary>(base),
    getJson<Usage>(usagePath),
    // No budget yet is a 404: the page then offers the form empty. A partner may not read or set a customer's
    // budget (403): its drill-down shows the rest of the page without the form.
    getJson<Budget>(`${base}/budget`).catch((error: unknown) => {
      if (error instanceof ApiError && error.status === 404) return undefined;
      if (error instanceof ApiError && error.status === 403) return 'forbidden' as const;
      throw error;
    }),
    getJson<Allowance>(`${base}/allowance`),
    getAllPages<AlertItem>(`/v1/alerts?subscriptionId=${seg(id)}`, 'alerts'),
    ...GRANULARITIES.map((granularity) => getJson<UsageSeries>(`${base}/usage/series?granularity=${granularity}`)),
  ]);
  let usage = usageAnswer;
  const budget = budgetAnswer === 'forbidden' ? undefined : budgetAnswer;
  const texts = new Texts(language, usage.timeZone);
  const seriesBy = Object.fromEntries(GRANULARITIES.map((g, index) => [g, series[index]])) as Record<
    Granularity,
    UsageSeries
  >;

  const heading = main.querySelector('h1');
  if (heading) heading.textContent = texts.t('subscriptionTitle', { name: subscription.name || subscription.id });
  const charts = seriesBy.hour.dimensions.map((dimension) =>
    usageChart({
      texts,
      dimensionId: dimension.dimensionId,
      displayName: dimension.displayName,
      unitOfMeasure: dimension.unitOfMeasure,
      series: seriesBy,
      alerts,
      allowance,
    }),
  );
  main.append(
    h(
      'p',
      { class: 'subtitle' },
      `${subscription.offerId} · ${subscription.planId} · ${statusText(texts, subscription.status)}`,
    ),
    glance(texts, usage, budget),
    section('usage', texts.t('usageHeading'), ...charts.map((chart) => chart.element)),
    breakdown(texts, usage),
    alertHistorySection(texts, 'alerts', 'alertsHeading', alerts),
  );
  /**
   * After a save the glance shows the new plan and thresholds at once. The usage answer is read again: its currency
   * and month boundaries follow the budget's currency and time zone (`usageCurrency`, `alertTimeZone` in the API),
   * which the save may have changed. If that read fails, the figures already shown serve when the currency is the
   * same; otherwise the glance stays as it was rather than set amounts in two currencies against each other.
   */
  const showSavedBudget = async (saved: Budget): Promise<void> => {
    const fresh = await getJson<Usage>(usagePath).catch(() => undefined);
    if (fresh) {
      usage = fresh;
      main.querySelector('#breakdown')?.replaceWith(breakdown(texts, usage));
    } else if (saved.plannedMonthlyAmount.currency !== usage.currency) {
      return;
    }
    main.querySelector('#glance')?.replaceWith(glance(texts, usage, saved));
  };
  if (budgetAnswer !== 'forbidden') main.append(budgetForm(texts, base, usage, budget, showSavedBudget));
  for (const chart of charts) chart.draw();
}

function glance(texts: Texts, usage: Usage, budget: Budget | undefined): HTMLElement {
  const planned = budget?.plannedMonthlyAmount;
  const monthToDate = Number(usage.monthToDate.amount);
  const content: (Node | null)[] = [];
  if (!planned) {
    content.push(
      h('p', { class: 'big-figure' }, texts.t('glanceSummaryNoPlan', { monthToDate: texts.money(usage.monthToDate) })),
      h('p', {}, texts.t('glanceNoBudget')),
    );
  } else {
    const plannedValue = Number(planned.amount);
    content.push(
      h(
        'p',
        { class: 'big-figure', 'data-figure': 'month-to-date' },
        texts.t('glanceSummary', {
          monthToDate: texts.money(usage.monthToDate),
          planned: texts.money(planned),
          percent: texts.percent(monthToDate / plannedValue),
        }),
      ),
    );
  }
  content.push(
    h(
      'p',
      { 'data-figure': 'forecast' },
      usage.forecast
        ? texts.t('glanceForecast', { forecast: texts.money(usage.forecast) })
        : texts.t('glanceNoForecast'),
    ),
  );
  if (planned) content.push(budgetBar(texts, usage, planned, budget?.thresholds ?? []));
  content.push(texts.asOf(usage.asOf));
  return section('glance', texts.t('glanceHeading'), ...content);
}

/**
 * Month to date as a filled bar against the planned amount, the thresholds as ticks, the forecast as a dashed tick
 * and the planned amount as a tick of its own when no threshold is at 100%. The bar spans the largest of these
 * figures, so each sits at its own place: a 150% threshold or a forecast beyond the plan is never pinned at the end.
 * The list under it says the same in words (reached / not reached), so the bar is never the only carrier.
 */
function budgetBar(texts: Texts, usage: Usage, planned: MoneyJson, thresholds: readonly string[]): HTMLElement {
  const plannedValue = Number(planned.amount);
  const forecast = usage.forecast ? Number(usage.forecast.amount) : undefined;
  const monthToDate = Number(usage.monthToDate.amount);
  const thresholdAmounts = thresholds.map((fraction) => Number(fraction) * plannedValue);
  const scale = Math.max(plannedValue, monthToDate, forecast ?? 0, ...thresholdAmounts) || 1;
  const at = (value: number) => `${((Math.max(0, value) / scale) * 100).toFixed(3)}%`;
  const fill = h('div', { class: 'bar-fill' });
  fill.style.width = at(monthToDate);
  const ticks = thresholds.map((fraction, index) => {
    const tick = h(
      'div',
      { class: 'bar-tick', 'data-tick': 'threshold', 'data-fraction': fraction },
      h('span', {}, texts.percent(Number(fraction))),
    );
    tick.style.left = at(thresholdAmounts[index] ?? 0);
    return tick;
  });
  const plannedTick = thresholds.some((fraction) => Number(fraction) === 1)
    ? null
    : h('div', { class: 'bar-tick planned', 'data-tick': 'planned' }, h('span', {}, texts.t('glanceMarkerPlanned')));
  if (plannedTick) plannedTick.style.left = at(plannedValue);
  const forecastTick =
    forecast === undefined
      ? null
      : h(
          'div',
          { class: 'bar-tick forecast', 'data-tick': 'forecast' },
          h('span', {}, texts.t('glanceMarkerForecast')),
        );
  if (forecastTick && forecast !== undefined) forecastTick.style.left = at(forecast);
  const bar = h(
    'div',
    { class: 'budget-bar', role: 'img', 'aria-label': texts.t('glanceBarLabel') },
    fill,
    ...ticks,
    plannedTick,
    forecastTick,
  );
  const list = h(
    'ul',
    { class: 'thresholds' },
    ...thresholds.map((fraction, index) => {
      const amount = thresholdAmounts[index] ?? 0;
      const reached = monthToDate >= amount;
      return h(
        'li',
        { 'data-threshold': fraction, class: reached ? 'reached' : '' },
        `${reached ? '▲ ' : '△ '}${texts.t('glanceThreshold', {
          percent: texts.percent(Number(fraction)),
          amount: texts.money({ amount: String(amount), currency: planned.currency }),
        })}: ${texts.t(reached ? 'glanceThresholdReached' : 'glanceThresholdNotReached')}`,
      );
    }),
  );
  return h('div', { class: 'glance-bar' }, bar, list);
}

/** The current month's charges by dimension and flat fee. Store fee and payout are never shown (publisher figures). */
function breakdown(texts: Texts, usage: Usage): HTMLElement {
  const month = usage.months[usage.months.length - 1];
  if (!month) return section('breakdown', texts.t('breakdownHeading'), texts.asOf(usage.asOf));
  const rows = [
    ...month.dimensions.map((dimension) => [
      dimension.displayName,
      `${texts.number(dimension.quantity)} ${dimension.unitOfMeasure}`,
      `${texts.number(dimension.overageQuantity)} ${dimension.unitOfMeasure}`,
      h('span', { 'data-value': dimension.amount.amount }, texts.money(dimension.amount)),
    ]),
    [
      texts.t('breakdownFlatFees'),
      '',
      '',
      h('span', { 'data-value': month.flatFees.amount }, texts.money(month.flatFees)),
    ],
    [
      h('strong', {}, texts.t('breakdownTotal')),
      '',
      '',
      h('strong', { 'data-value': month.total.amount }, texts.money(month.total)),
    ],
  ];
  return section(
    'breakdown',
    texts.t('breakdownHeading'),
    h(
      'div',
      { class: 'table-scroll' },
      table(
        texts.t('breakdownCaption', { month: month.month }),
        [texts.t('colDimension'), texts.t('measureQuantity'), texts.t('colOverage'), texts.t('colAmount')],
        rows,
        { 'data-breakdown': month.month },
      ),
    ),
    texts.asOf(usage.asOf),
  );
}

/** Which form field an API error's `field` (`body.contacts.emails.0`, `plannedMonthlyAmount.amount`) is about. */
function fieldOf(apiField: string | undefined): string | undefined {
  const path = (apiField ?? '').replace(/^body\./, '');
  if (path.endsWith('.currency')) return 'currency';
  if (path.startsWith('plannedMonthlyAmount')) return 'planned';
  if (path.startsWith('spikeMinimumAmount')) return 'spike';
  if (path.startsWith('thresholds')) return 'thresholds';
  if (path.startsWith('contacts.emails')) return 'emails';
  if (path.startsWith('contacts.phones')) return 'phones';
  if (path.startsWith('timeZone')) return 'timeZone';
  if (path.startsWith('locale')) return 'locale';
  return undefined;
}

function budgetForm(
  texts: Texts,
  base: string,
  usage: Usage,
  budget: Budget | undefined,
  /** Shows the saved budget elsewhere on the page; never throws. */
  onSaved: (saved: Budget) => Promise<void>,
): HTMLElement {
  const initialCurrency = budget?.plannedMonthlyAmount.currency ?? usage.currency;
  // The saved budget's currency stays listed even if the plans are no longer all priced in it, so the form shows it.
  const currencies = [...new Set([...usage.currencies, initialCurrency])];
  const errors = new Map<string, HTMLElement>();
  const controls = new Map<string, HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement>();

  const field = (
    name: string,
    label: string,
    control: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement,
    hint?: string,
  ) => {
    const id = uniqueId(`budget-${name}`);
    const errorId = `${id}-error`;
    const hintId = hint ? `${id}-hint` : undefined;
    control.id = id;
    control.name = name;
    control.setAttribute('aria-describedby', [hintId, errorId].filter(Boolean).join(' '));
    const error = h('p', { id: errorId, class: 'field-error', 'data-error-for': name });
    errors.set(name, error);
    controls.set(name, control);
    return h(
      'div',
      { class: 'field' },
      h('label', { for: id }, label),
      hint ? h('p', { id: hintId, class: 'hint' }, hint) : null,
      control,
      error,
    );
  };

  // Each saved contact's delivery state, refreshed from the answer of every save (a new contact shows "pending"),
  // with a button asking one that receives no alerts to confirm again.
  const resendPath = (state: { readonly address: string }) => `${base}/contacts/${seg(state.address)}/confirmation`;
  const contactStates = h(
    'div',
    { class: 'field' },
    h('p', { class: 'hint' }, texts.t('contactStatesHeading')),
    contactStatesList(texts, budget?.contactStates ?? [], resendPath),
  );
  const showContactStates = (states: Budget['contactStates']) =>
    contactStates
      .querySelector('[data-contact-states]')
      ?.replaceWith(contactStatesList(texts, states ?? [], resendPath));

  const timeZones = supportedTimeZones(budget?.timeZone ?? usage.timeZone);
  const form = h(
    'form',
    { novalidate: true, 'data-budget-form': '' },
    h('p', {}, texts.t('budgetIntro')),
    field(
      'currency',
      texts.t('budgetCurrency'),
      h(
        'select',
        {},
        ...currencies.map((code) => h('option', { value: code, selected: code === initialCurrency }, code)),
      ),
    ),
    field(
      'planned',
      `${texts.t('budgetPlanned')} (${initialCurrency})`,
      h('input', {
        type: 'text',
        inputmode: 'decimal',
        autocomplete: 'off',
        value: budget?.plannedMonthlyAmount.amount ?? '',
        required: true,
      }),
    ),
    field(
      'thresholds',
      texts.t('budgetThresholds'),
      h('input', {
        type: 'text',
        value: (budget?.thresholds ?? ['0.5', '0.8', '1']).map((f) => trimNumber(Number(f) * 100)).join(', '),
      }),
      texts.t('budgetThresholdsHint'),
    ),
    h(
      'div',
      { class: 'field checkbox' },
      (() => {
        const box = h('input', { type: 'checkbox', checked: budget?.forecastAlert ?? true });
        box.id = uniqueId('budget-forecast');
        box.name = 'forecast';
        controls.set('forecast', box);
        return [box, h('label', { for: box.id }, texts.t('budgetForecast'))];
      })(),
    ),
    field(
      'spike',
      `${texts.t('budgetSpike')} (${initialCurrency})`,
      h('input', { type: 'text', inputmode: 'decimal', value: budget?.spikeMinimumAmount.amount ?? '' }),
      texts.t('budgetSpikeHint'),
    ),
    field(
      'emails',
      texts.t('budgetEmails'),
      h('textarea', { rows: 3, autocomplete: 'email' }, (budget?.contacts.emails ?? []).join('\n')),
    ),
    field('phones', texts.t('budgetPhones'), h('textarea', { rows: 2 }, (budget?.contacts.phones ?? []).join('\n'))),
    contactStates,
    field(
      'locale',
      texts.t('budgetLanguage'),
      h(
        'select',
        {},
        h('option', { value: 'ja', selected: (budget?.locale ?? texts.language) === 'ja' }, '日本語'),
        h('option', { value: 'en', selected: (budget?.locale ?? texts.language) === 'en' }, 'English'),
      ),
    ),
    field(
      'timeZone',
      texts.t('budgetTimeZone'),
      h(
        'select',
        {},
        ...timeZones.map((zone) =>
          h('option', { value: zone, selected: zone === (budget?.timeZone ?? usage.timeZone) }, zone),
        ),
      ),
    ),
  );
  const status = h('p', { role: 'status', class: 'form-status', 'data-form-status': '' });
  const save = h('button', { type: 'submit' }, texts.t('budgetSave'));
  form.append(save, status);

  const inputValue = (name: string) => controls.get(name)?.value.trim() ?? '';

  // The amount labels name the chosen currency, so the figures typed are read in it.
  controls.get('currency')?.addEventListener('change', () => {
    for (const [name, key] of [
      ['planned', 'budgetPlanned'],
      ['spike', 'budgetSpike'],
    ] as const) {
      const label = form.querySelector(`label[for="${controls.get(name)?.id}"]`);
      if (label) label.textContent = `${texts.t(key)} (${inputValue('currency')})`;
    }
  });
  const lines = (name: string) =>
    inputValue(name)
      .split(/[\r\n,]+/)
      .map((line) => line.trim())
      .filter(Boolean);

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    for (const error of errors.values()) error.replaceChildren();
    for (const control of controls.values()) control.removeAttribute('aria-invalid');
    const thresholds = parseThresholds(inputValue('thresholds'));
    if (!thresholds) {
      showError('thresholds', texts.t('budgetBadThresholds'));
      return;
    }
    const spike = inputValue('spike');
    const currency = inputValue('currency');
    const body: BudgetBody = {
      plannedMonthlyAmount: { amount: inputValue('planned'), currency },
      thresholds,
      forecastAlert: (controls.get('forecast') as HTMLInputElement).checked,
      ...(spike ? { spikeMinimumAmount: { amount: spike, currency } } : {}),
      timeZone: inputValue('timeZone'),
      locale: inputValue('locale') === 'ja' ? 'ja' : 'en',
      contacts: { emails: lines('emails'), phones: lines('phones') },
    };
    save.disabled = true;
    status.textContent = texts.t('budgetSaving');
    try {
      const saved = await putJson<Budget>(`${base}/budget`, body);
      showContactStates(saved.contactStates);
      await onSaved(saved);
      status.textContent = texts.t('budgetSaved');
    } catch (error) {
      const name = error instanceof ApiError ? fieldOf(error.field) : undefined;
      if (name) showError(name, refusal(texts, error));
      status.replaceChildren(...refusal(texts, error));
    } finally {
      save.disabled = false;
    }
  });

  function showError(name: string, message: string | readonly Node[]): void {
    const error = errors.get(name);
    const control = controls.get(name);
    if (typeof message === 'string') error?.replaceChildren(message);
    else error?.replaceChildren(...message);
    control?.setAttribute('aria-invalid', 'true');
    control?.focus();
  }

  return section('budget', texts.t('budgetHeading'), form);
}

/**
 * Why a save failed: a lead in the page's language, then the API's message as the detail. The API answers in English
 * whatever the page's language, so its words are marked `lang="en"` (a screen reader reads them as English).
 */
function refusal(texts: Texts, error: unknown): Node[] {
  const message = error instanceof Error ? error.message : String(error);
  return [
    h('span', { class: 'lead' }, texts.t('budgetFailedLead')),
    document.createTextNode(' '),
    h('span', { class: 'detail', ...(error instanceof ApiError ? { lang: 'en' } : {}) }, message),
  ];
}

/** "50, 80, 100" (percent) → ["0.5", "0.8", "1"] (the API's fractions); undefined when not all are numbers in range. */
export function parseThresholds(text: string): string[] | undefined {
  const parts = text
    .split(/[,、\s]+/)
    .map((part) => part.replace(/%$/, '').trim())
    .filter(Boolean);
  if (parts.length === 0) return undefined;
  const fractions: string[] = [];
  for (const part of parts) {
    if (!/^\d+(\.\d+)?$/.test(part)) return undefined;
    const percent = Number(part);
    if (percent <= 0 || percent > 1000) return undefined;
    fractions.push(percentToFraction(part));
  }
  return fractions;
}

/** Exact decimal shift by two places on the string, so "12.5" becomes "0.125" without floating point. */
function percentToFraction(percent: string): string {
  const [whole = '0', fraction = ''] = percent.split('.');
  const digits = `${whole.padStart(3, '0')}${fraction}`;
  const integer = digits.slice(0, -2 - fraction.length) || '0';
  const decimals = digits.slice(-2 - fraction.length).replace(/0+$/, '');
  const normalisedInteger = integer.replace(/^0+(?=\d)/, '');
  return decimals ? `${normalisedInteger}.${decimals}` : normalisedInteger;
}

const trimNumber = (value: number): string => String(Math.round(value * 1e6) / 1e6);

function supportedTimeZones(current: string): string[] {
  const intl = Intl as unknown as { supportedValuesOf?: (key: string) => string[] };
  const zones = intl.supportedValuesOf?.('timeZone') ?? [];
  return [...new Set(['UTC', current, ...zones])];
}
