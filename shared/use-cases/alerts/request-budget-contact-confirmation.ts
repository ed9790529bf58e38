import { type Principal, requireBudgetAccess } from '#shared/domain/access.ts';
import type { Catalog } from '#shared/domain/catalog.ts';
import { NotFoundError } from '#shared/domain/errors.ts';
import type { BudgetStore } from '#shared/use-cases/alerts/ports/budget-store.ts';
import type { ContactLifecycleDeps } from '#shared/use-cases/alerts/register-recipient-contacts.ts';
import {
  type ContactConfirmationAnswer,
  parseContactParam,
  requestContactConfirmation,
  requireListedContact,
} from '#shared/use-cases/alerts/request-contact-confirmation.ts';
import { findOfferName } from '#shared/use-cases/alerts/save-budget.ts';
import type { SubscriptionStore } from '#shared/use-cases/ports/subscription-store.ts';

/**
 * `POST /v1/subscriptions/{id}/contacts/{contact}/confirmation`: the subscription's customer (or the publisher) asks
 * for a new confirmation message to a contact of the budget (`requestContactConfirmation`: a pending one gets it
 * again; a bounced, complained or opted-out one goes back to pending and only the person's confirmation makes it
 * active). The message reads as the budget's own: its language, signed with the offer's name.
 * @throws NotFoundError for an unknown subscription, one without a budget, or a contact the budget does not list.
 * @throws ForbiddenError for a partner key, or a customer key of another customer (as for the budget itself).
 * @throws ValidationError for a contact that is neither an e-mail address nor an E.164 number.
 * @throws ConflictError, TooManyRequestsError: see `requestContactConfirmation`.
 */
export async function requestBudgetContactConfirmation(
  deps: {
    readonly subscriptions: Pick<SubscriptionStore, 'get'>;
    readonly budgets: Pick<BudgetStore, 'getBudget'>;
    readonly catalog: Catalog;
    readonly contactLifecycle: ContactLifecycleDeps;
  },
  caller: Principal,
  input: { readonly subscriptionId: string; readonly contact: string },
): Promise<ContactConfirmationAnswer> {
  const subscription = await deps.subscriptions.get(input.subscriptionId);
  if (!subscription) throw new NotFoundError(`No subscription with id ${input.subscriptionId}.`);
  requireBudgetAccess(caller, subscription, 'set');
  const budget = await deps.budgets.getBudget(subscription.id);
  if (!budget) throw new NotFoundError(`Subscription ${subscription.id} has no budget yet, so no contacts; PUT one.`);
  const contact = requireListedContact(
    budget.contacts,
    parseContactParam(input.contact),
    `the budget of subscription ${subscription.id}`,
  );
  return requestContactConfirmation(deps.contactLifecycle, { kind: 'customer', id: budget.customerId }, contact, {
    locale: budget.locale,
    brand: findOfferName(deps.catalog, subscription.offerId),
  });
}
