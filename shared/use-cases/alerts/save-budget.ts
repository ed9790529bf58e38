import { type Principal, requireBudgetAccess } from '#shared/domain/access.ts';
import { requireSmsCountries, type SmsCountry } from '#shared/domain/alerts/phone-countries.ts';
import {
  type BudgetSettings,
  type BudgetSettingsInput,
  customerIdOf,
  parseBudgetSettings,
} from '#shared/domain/alerts/settings.ts';
import type { Catalog } from '#shared/domain/catalog.ts';
import { NotFoundError, ValidationError } from '#shared/domain/errors.ts';
import { requirePlanPricedIn } from '#shared/domain/plan-pricing.ts';
import { type ContactStateView, contactStateViews } from '#shared/use-cases/alerts/contact-state-views.ts';
import type { AlertOutbox } from '#shared/use-cases/alerts/ports/alert-outbox.ts';
import type { BudgetStore } from '#shared/use-cases/alerts/ports/budget-store.ts';
import { readBudgetTolerantly } from '#shared/use-cases/alerts/read-budget-tolerantly.ts';
import {
  type ContactLifecycleDeps,
  registerRecipientContacts,
} from '#shared/use-cases/alerts/register-recipient-contacts.ts';
import type { PartnerStore } from '#shared/use-cases/partners/ports/partner-store.ts';
import type { SubscriptionStore } from '#shared/use-cases/ports/subscription-store.ts';

export interface SaveBudgetDeps {
  readonly subscriptions: Pick<SubscriptionStore, 'get'>;
  readonly budgets: Pick<BudgetStore, 'putBudget' | 'getBudget' | 'listBudgetsOfCustomer'>;
  readonly partners: Pick<PartnerStore, 'getCreditLink'>;
  /** Set in the local mode only: the queue that stands in for e-mail and SMS. */
  readonly outbox?: AlertOutbox;
  readonly catalog: Catalog;
  /** The contact states and the confirmation messages of new contacts (our own opt-in). */
  readonly contactLifecycle: ContactLifecycleDeps;
  /** The countries alert SMS may go to (`SMS_ALLOWED_COUNTRIES`): other phone numbers are refused. */
  readonly smsCountries: readonly SmsCountry[];
}

/** A budget as the API answers it: the settings and the state of each contact (pending, active, bounced, …). */
export type BudgetAnswer = BudgetSettings & { readonly contactStates: readonly ContactStateView[] };

/** The budget as the caller gives it: the subscription and its customer come from the path and the store. */
export type BudgetBody = Omit<BudgetSettingsInput, 'subscriptionId' | 'customerId'>;

/**
 * Creates or replaces the budget of a subscription (its customer's planned monthly amount, thresholds, time zone,
 * language and contacts), for the subscription's customer or the publisher.
 *
 * Steps: read the subscription; check the caller; validate with the domain's defaults, the customer being the
 * subscription's beneficiary tenant (never taken from the body: the customer id routes alerts, so a caller must not
 * be able to send its alerts to someone else's recipient); check the currency is one the plan is priced in and the
 * one of the partner's credit levels, and the phone numbers are in countries SMS may go to; subscribe the local
 * outbox; register the contacts in the contact store (a new one is pending until it confirms) and send each new (or
 * still pending, after `CONFIRMATION_RESEND_HOURS`) contact a confirmation message; release the contacts the previous
 * budget had and no budget of the customer names any more; store the
 * budget. Contacts are registered first so that no alert evaluated right after the store goes out to nobody;
 * registering and releasing are idempotent, so a failed call is simply repeated.
 *
 * @throws NotFoundError for an unknown subscription.
 * @throws ForbiddenError for a partner key, or a customer key of another customer.
 * @throws ValidationError naming the field (domain rules, a currency the plan or the credit levels do not use, a phone
 *   number of a country SMS may not go to).
 * @throws Error when contacts cannot be registered or the budget stored (nothing is stored then).
 */
export async function saveBudget(
  deps: SaveBudgetDeps,
  caller: Principal,
  input: { readonly subscriptionId: string; readonly budget: BudgetBody },
): Promise<BudgetAnswer> {
  const subscription = await deps.subscriptions.get(input.subscriptionId);
  if (!subscription) throw new NotFoundError(`No subscription with id ${input.subscriptionId}.`);
  requireBudgetAccess(caller, subscription, 'set');
  const budget = parseBudgetSettings({
    ...input.budget,
    subscriptionId: subscription.id,
    customerId: customerIdOf(subscription),
  });
  const currency = budget.plannedMonthlyAmount.currency;
  requirePlanPricedIn(deps.catalog, subscription, currency, 'plannedMonthlyAmount.currency');
  const link = await deps.partners.getCreditLink(subscription.id);
  if (link && link.levels.warning.currency !== currency) {
    throw new ValidationError(
      `the planned amount must be in ${link.levels.warning.currency}, the currency of the reseller's credit levels`,
      'plannedMonthlyAmount.currency',
    );
  }
  requireSmsCountries(budget.contacts.phones, deps.smsCountries);
  const recipient = { kind: 'customer' as const, id: budget.customerId };
  // The local mode's stand-in for e-mail and SMS shows every alert of the recipient.
  await deps.outbox?.subscribeRecipient(recipient);
  // A stored budget that no longer validates is simply replaced (its contacts are not known for sure any more).
  const { budget: previous } = await readBudgetTolerantly(deps.budgets, subscription.id);
  // The customer's other budgets may name the same contacts: those stay.
  const others = previous
    ? (await deps.budgets.listBudgetsOfCustomer(budget.customerId)).filter(
        (other) => other.subscriptionId !== subscription.id,
      )
    : [];
  const kept = [budget.contacts, ...others.map((other) => other.contacts)];
  const brand = findOfferName(deps.catalog, subscription.offerId);
  const states = await registerRecipientContacts(
    deps.contactLifecycle,
    recipient,
    budget.contacts,
    { locale: budget.locale, brand },
    previous ? { before: previous.contacts, kept } : undefined,
  );
  await deps.budgets.putBudget(budget);
  return { ...budget, contactStates: contactStateViews(states) };
}

/** The offer's name as the customer saw it in the marketplace: what the confirmation message is signed with. */
export function findOfferName(catalog: Catalog, offerId: string): string {
  return catalog.offers.find((offer) => offer.id === offerId)?.displayName ?? offerId;
}
