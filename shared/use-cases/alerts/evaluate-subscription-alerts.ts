import { type AlertCandidate, alertKey } from '#shared/domain/alerts/alert.ts';
import { alertTimeZone, evaluateAlerts } from '#shared/domain/alerts/rules.ts';
import { type AlertLocale, partnerTimeZone } from '#shared/domain/alerts/settings.ts';
import type { AlertTextContext } from '#shared/domain/alerts/templates.ts';
import type { Catalog } from '#shared/domain/catalog.ts';
import { planIn } from '#shared/domain/catalog-rules.ts';
import { ValidationError } from '#shared/domain/errors.ts';
import type { Subscription } from '#shared/domain/subscription.ts';
import {
  type DeliverAlertDeps,
  type DeliverAlertResult,
  deliverAlerts,
} from '#shared/use-cases/alerts/deliver-alert.ts';
import type { AlertSettings } from '#shared/use-cases/alerts/ports/alert-settings-reader.ts';
import type { BudgetStore } from '#shared/use-cases/alerts/ports/budget-store.ts';
import { readBudgetTolerantly } from '#shared/use-cases/alerts/read-budget-tolerantly.ts';
import {
  computeSubscriptionCharges,
  HISTORY_MONTHS,
  SPIKE_DAYS,
} from '#shared/use-cases/billing/compute-subscription-charges.ts';
import type { UsageLedger } from '#shared/use-cases/metering/ports/usage-ledger.ts';
import type { PartnerStore } from '#shared/use-cases/partners/ports/partner-store.ts';
import type { SubscriptionStore } from '#shared/use-cases/ports/subscription-store.ts';

export interface EvaluateSubscriptionAlertsDeps extends DeliverAlertDeps {
  readonly subscriptions: Pick<SubscriptionStore, 'get'>;
  readonly budgets: Pick<BudgetStore, 'getBudget'>;
  readonly partners: Pick<PartnerStore, 'getCreditLink' | 'getPartner'>;
  readonly ledger: Pick<UsageLedger, 'readDailyUsage' | 'readSlotQuantities'>;
  readonly catalog: Catalog;
  /** The publisher's time zone (setting `PUBLISHER_TIME_ZONE`): the months of partners without their own. */
  readonly publisherTimeZone?: string;
  /** Where a skipped stored budget that no longer validates is reported (a warning for the operator). */
  readonly logger?: EvaluationLogger;
}

/**
 * - `noSettings`: neither a budget nor a credit link: nobody to alert (the common case, two reads);
 * - `notFound`: settings exist for a subscription that is not stored;
 * - `inactive`: the subscription was never activated: no charges yet;
 * - `evaluated`: the rules ran; `results` says what each new candidate became.
 */
export type EvaluationOutcome = 'noSettings' | 'notFound' | 'inactive' | 'evaluated';

export interface EvaluationResult {
  readonly subscriptionId: string;
  readonly outcome: EvaluationOutcome;
  /** Candidates the rules produced (alerts whose condition holds now). */
  readonly candidates: number;
  /** Candidates skipped because the log shows them sent already (no write needed). */
  readonly alreadySent: number;
  /** Delivery of the others: `sent` for the alerts that went out now. */
  readonly results: readonly DeliverAlertResult[];
}

/** How many of the subscription's latest alerts are read to skip the ones sent already (one query page). */
const RECENT_ALERTS_PAGE = 100;

/**
 * Evaluates the alert rules for one subscription at the clock's instant and delivers each new alert once (DESIGN
 * invariant 7). Safe to run any number of times, from anywhere (after each usage commit, hourly, by hand): every
 * alert is keyed by recipient, rule, threshold and period, so a repeated evaluation sends nothing new.
 *
 * Steps: read the budget and the credit link (together); stop if there is neither; read the subscription and the
 * partner (together); compute the charges in the currency — for the budget in its time zone (four local days for
 * spikes, the forecast if the budget asks for it), for the partner in the partner's time zone (the month to date and
 * six closed months for the provisional credit and the month-start check); once when both zones are the same, twice
 * (in parallel) when they differ; run the rules (`evaluateAlerts`); skip candidates the subscription's recent alert
 * log shows sent; deliver the others (`deliverAlerts`: record once, publish, mark sent).
 *
 * Purchase approvals are not read: no alert depends on them (they only matter to the credit policy's decision).
 *
 * `settings`: the budget and credit link when the caller read them already (`AlertSettingsReader`, for many
 * subscriptions at once); read here otherwise.
 *
 * DynamoDB reads per evaluated subscription:
 * - no settings: 2 (budget, credit link), none when `settings` is given;
 * - with settings: 2 + 1 (subscription) + 1 (partner, when linked) + D slot queries (one per metered dimension of the
 *   subscription's plans, more only past 1 MB of slots: `computeSubscriptionCharges`; 2 × D when the budget's and
 *   the partner's time zones differ) + 1 (recent alerts, only when some rule holds). With the sample catalog (D = 3):
 *   7 or 8.
 * Writes only for alerts not sent yet: one transaction to record, one to mark sent, and the SNS publish.
 *
 * @throws ValidationError when the budget and the credit levels use different currencies, or the subscription's plan
 *   is not in the catalog or not priced in that currency (a configuration to fix; nothing is sent).
 * @throws AggregateError when some alerts could not be delivered (the others were); the next evaluation retries them.
 * @throws Error when a store or the ledger cannot be read.
 */
export async function evaluateSubscriptionAlerts(
  deps: EvaluateSubscriptionAlertsDeps,
  subscriptionId: string,
  settings?: AlertSettings,
): Promise<EvaluationResult> {
  const none = (outcome: EvaluationOutcome): EvaluationResult => ({
    subscriptionId,
    outcome,
    candidates: 0,
    alreadySent: 0,
    results: [],
  });
  const [budgetRead, link] = settings
    ? [{ budget: settings.budget, problem: settings.budgetProblem }, settings.creditLink]
    : await Promise.all([
        readBudgetTolerantly(deps.budgets, subscriptionId),
        deps.partners.getCreditLink(subscriptionId),
      ]);
  // A stored budget that no longer validates is skipped, not retried: it can only be fixed by replacing it.
  const budget = budgetRead.budget;
  if (budgetRead.problem) {
    deps.logger?.warn('Stored budget no longer validates; its alerts are skipped until it is replaced', {
      subscriptionId,
      problem: budgetRead.problem.message,
    });
  }
  if (!budget && !link) return none('noSettings');
  const [subscription, partner] = await Promise.all([
    deps.subscriptions.get(subscriptionId),
    link ? deps.partners.getPartner(link.partnerId) : Promise.resolve(undefined),
  ]);
  if (!subscription) return none('notFound');

  const currency = budget?.plannedMonthlyAmount.currency ?? link?.levels.warning.currency ?? '';
  if (budget && link && link.levels.warning.currency !== currency) {
    throw new ValidationError(
      `subscription ${subscriptionId}: the budget is in ${currency} but the credit levels in ${link.levels.warning.currency}`,
      'currency',
    );
  }
  const now = deps.clock.now();
  const budgetZone = alertTimeZone(budget);
  const partnerZone = link ? partnerTimeZone(partner, deps.publisherTimeZone) : budgetZone;
  // One computation serves both when the months are the same; otherwise each side gets its own months.
  const shared = !link || !budget || partnerZone === budgetZone;
  const compute = (timeZone: string, forBudget: boolean, forPartner: boolean) =>
    computeSubscriptionCharges(deps, {
      subscription,
      timeZone,
      currency,
      now,
      days: forBudget ? SPIKE_DAYS : 0,
      closedMonths: forPartner ? HISTORY_MONTHS : 0,
      forecast: forBudget && (budget?.forecastAlert ?? false),
    });
  const [charges, partnerCharges] = shared
    ? [await compute(partnerZone, budget !== undefined, link !== undefined), undefined]
    : await Promise.all([compute(budgetZone, true, false), compute(partnerZone, false, true)]);
  if (!charges.active) return none('inactive');

  const candidates = evaluateAlerts({
    subscriptionId,
    customerId: budget?.customerId ?? link?.customerId ?? '',
    now,
    ...(budget ? { budget } : {}),
    ...(link ? { creditLink: link } : {}),
    monthToDate: charges.monthToDate,
    ...(charges.forecast && charges.forecastBasis
      ? { forecast: { amount: charges.forecast, basis: charges.forecastBasis } }
      : {}),
    dailyCharges: charges.dailyUsageCharges,
    monthlyHistory: charges.monthlyHistory,
    partnerTimeZone: partnerZone,
    ...(partnerCharges
      ? {
          partnerCharges: {
            monthToDate: partnerCharges.monthToDate,
            monthlyHistory: partnerCharges.monthlyHistory,
          },
        }
      : {}),
  });
  if (candidates.length === 0) return { ...none('evaluated') };

  // Most evaluations find conditions that already fired this period (a threshold stays crossed all month): one query
  // of the recent log spares a failed conditional write and a read per such candidate.
  const recent = await deps.alertLog.listBySubscription(subscriptionId, { limit: RECENT_ALERTS_PAGE });
  const sent = new Set(recent.entries.filter((entry) => entry.state === 'sent').map((entry) => entry.key));
  const fresh = candidates.filter((candidate) => !sent.has(alertKey(candidate)));
  const context = textContext(deps.catalog, subscription);
  const localeOf = (candidate: AlertCandidate): AlertLocale =>
    candidate.recipient.kind === 'customer' ? (budget?.locale ?? 'en') : (partner?.locale ?? 'en');
  const results = await deliverAlerts(
    deps,
    fresh.map((candidate) => ({ candidate, locale: localeOf(candidate), context })),
  );
  return {
    subscriptionId,
    outcome: 'evaluated',
    candidates: candidates.length,
    alreadySent: candidates.length - fresh.length,
    results,
  };
}

/**
 * Names the texts use instead of ids (templates.ts): the name the customer knows the subscription by — the
 * marketplace subscription name, else the offer and plan as bought — and the offer and plan as a second, often
 * shorter, name.
 */
export function textContext(catalog: Catalog, subscription: Subscription): AlertTextContext {
  const offer = catalog.offers.find((candidate) => candidate.id === subscription.offerId);
  const plan = planIn(catalog, subscription.offerId, subscription.planId);
  const planLabel = offer && plan ? `${offer.displayName} ${plan.displayName}` : undefined;
  const name = subscription.name?.trim() || undefined;
  const subscriptionLabel = name ?? planLabel;
  return {
    ...(subscriptionLabel ? { subscriptionLabel } : {}),
    ...(planLabel ? { planLabel } : {}),
  };
}

export interface EvaluationLogger {
  warn(message: string, ...attributes: Record<string, unknown>[]): void;
}
