import { type AlertRecipient, type AlertRule, recipientAddress } from '#shared/domain/alerts/alert.ts';
import type {
  AlertLocale,
  BudgetSettings,
  CreditLink,
  Partner,
  PurchaseApproval,
  PurchaseBlockRelease,
} from '#shared/domain/alerts/settings.ts';
import { ConflictError } from '#shared/domain/errors.ts';
import type { AlertOutbox, OutboxMessage } from '#shared/use-cases/alerts/ports/alert-outbox.ts';
import type { BudgetStore } from '#shared/use-cases/alerts/ports/budget-store.ts';
import type { ConfirmationRequests } from '#shared/use-cases/alerts/ports/contact-links.ts';
import {
  type ContactAddress,
  type ContactRegistration,
  type ContactRegistry,
  type ContactState,
  type ContactStateChanges,
  type ContactStates,
  contactKey,
  type UndeliverableStatus,
} from '#shared/use-cases/alerts/ports/contact-states.ts';
import type { PartnerStore } from '#shared/use-cases/partners/ports/partner-store.ts';

/** `BudgetStore` in a Map, counting reads (for the reads-per-evaluation assertions). */
export class InMemoryBudgetStore implements BudgetStore {
  readonly budgets = new Map<string, BudgetSettings>();
  reads = 0;

  async getBudget(subscriptionId: string): Promise<BudgetSettings | undefined> {
    this.reads++;
    return this.budgets.get(subscriptionId);
  }

  async putBudget(budget: BudgetSettings): Promise<void> {
    this.budgets.set(budget.subscriptionId, budget);
  }

  async deleteBudget(subscriptionId: string): Promise<void> {
    this.budgets.delete(subscriptionId);
  }

  async listBudgetsOfCustomer(customerId: string): Promise<BudgetSettings[]> {
    return [...this.budgets.values()]
      .filter((b) => b.customerId === customerId)
      .sort((a, b) => a.subscriptionId.localeCompare(b.subscriptionId));
  }
}

/** `PartnerStore` in Maps, with the adapter's one-tenant-one-partner rule, counting reads. */
export class InMemoryPartnerStore implements PartnerStore {
  readonly partners = new Map<string, Partner>();
  readonly links = new Map<string, CreditLink>();
  readonly approvals: PurchaseApproval[] = [];
  reads = 0;

  async getPartner(partnerId: string): Promise<Partner | undefined> {
    this.reads++;
    return this.partners.get(partnerId);
  }

  async putPartner(partner: Partner): Promise<void> {
    const owner = [...this.partners.values()].find((p) => p.tenantId === partner.tenantId && p.id !== partner.id);
    if (owner) throw new ConflictError(`Tenant ${partner.tenantId} is registered for another partner.`);
    this.partners.set(partner.id, partner);
  }

  async findPartnerByTenant(tenantId: string): Promise<Partner | undefined> {
    this.reads++;
    return [...this.partners.values()].find((p) => p.tenantId === tenantId);
  }

  async getCreditLink(subscriptionId: string): Promise<CreditLink | undefined> {
    this.reads++;
    return this.links.get(subscriptionId);
  }

  async putCreditLink(link: CreditLink): Promise<void> {
    this.links.set(link.subscriptionId, link);
  }

  async deleteCreditLink(subscriptionId: string): Promise<void> {
    this.links.delete(subscriptionId);
  }

  async releasePurchaseBlock(
    link: Pick<CreditLink, 'subscriptionId' | 'partnerId' | 'purchaseBlockedLevelSetAt'>,
    release: PurchaseBlockRelease,
  ): Promise<void> {
    const stored = this.links.get(link.subscriptionId);
    if (
      stored?.partnerId !== link.partnerId ||
      stored.purchaseBlockedLevelSetAt?.getTime() !== link.purchaseBlockedLevelSetAt?.getTime()
    ) {
      throw new ConflictError(`The credit link of subscription ${link.subscriptionId} changed meanwhile.`);
    }
    this.links.set(link.subscriptionId, { ...stored, purchaseBlockRelease: release });
  }

  async listCreditLinks(partnerId: string): Promise<CreditLink[]> {
    return [...this.links.values()].filter((l) => l.partnerId === partnerId);
  }

  async putApproval(approval: PurchaseApproval): Promise<void> {
    const index = this.approvals.findIndex((a) => a.id === approval.id && a.subscriptionId === approval.subscriptionId);
    if (index >= 0) this.approvals.splice(index, 1);
    this.approvals.push(approval);
  }

  async listApprovals(subscriptionId: string, options: { readonly activeAt?: Date } = {}): Promise<PurchaseApproval[]> {
    this.reads++;
    const activeAt = options.activeAt?.getTime();
    return this.approvals
      .filter((a) => a.subscriptionId === subscriptionId)
      .filter((a) => activeAt === undefined || a.expiresAt.getTime() > activeAt)
      .sort((a, b) => b.expiresAt.getTime() - a.expiresAt.getTime());
  }
}

/**
 * Contact states in a Map, with the same rules as the DynamoDB adapter (a new contact is pending, a known one keeps its
 * state, states survive removal), remembering what was registered and removed for whom.
 */
export class InMemoryContactStates
  implements ContactStates, ContactRegistry, ContactStateChanges, ConfirmationRequests
{
  readonly states = new Map<string, ContactState>();
  /** When the last confirmation message of each contact was claimed (ConfirmationRequests). */
  readonly confirmationSentAt = new Map<string, Date>();
  readonly recipients = new Map<string, Set<string>>();
  readonly registered: { recipient: AlertRecipient; contact: ContactAddress; locale: AlertLocale }[] = [];
  readonly removed: { recipient: AlertRecipient; contact: ContactAddress }[] = [];
  readonly undeliverable: { contact: ContactAddress; status: UndeliverableStatus }[] = [];

  constructor(private readonly now: () => Date = () => new Date()) {}

  /** Sets a contact's state directly (a test's "this person confirmed / bounced"). */
  put(contact: ContactAddress, status: ContactState['status'], options: Partial<ContactState> = {}): void {
    this.states.set(contactKey(contact), {
      contact,
      status,
      since: this.now().toISOString(),
      mutedRules: [],
      locale: 'en',
      ...options,
    });
  }

  async read(contacts: readonly ContactAddress[]): Promise<ReadonlyMap<string, ContactState>> {
    const found = new Map<string, ContactState>();
    for (const contact of contacts) {
      const state = this.states.get(contactKey(contact));
      const sentAt = this.confirmationSentAt.get(contactKey(contact));
      if (state)
        found.set(contactKey(contact), sentAt ? { ...state, confirmationSentAt: sentAt.toISOString() } : state);
    }
    return found;
  }

  async register(
    recipient: AlertRecipient,
    contact: ContactAddress,
    locale: AlertLocale,
  ): Promise<ContactRegistration> {
    this.registered.push({ recipient, contact, locale });
    const key = contactKey(contact);
    this.recipients.set(key, (this.recipients.get(key) ?? new Set()).add(recipientAddress(recipient)));
    const existing = this.states.get(key);
    if (existing) return { state: existing, isNew: false };
    this.put(contact, 'pending', { locale });
    return { state: this.states.get(key) as ContactState, isNew: true };
  }

  async remove(recipient: AlertRecipient, contact: ContactAddress): Promise<void> {
    this.removed.push({ recipient, contact });
    this.recipients.get(contactKey(contact))?.delete(recipientAddress(recipient));
  }

  async recipientsOf(contact: ContactAddress): Promise<readonly string[]> {
    return [...(this.recipients.get(contactKey(contact)) ?? [])].sort();
  }

  async confirm(contact: ContactAddress, at: Date): Promise<ContactState | undefined> {
    const state = this.states.get(contactKey(contact));
    if (state?.status === 'pending') {
      const { reconfirmingFrom: _done, ...rest } = state;
      this.states.set(contactKey(contact), { ...rest, status: 'active', since: at.toISOString() });
    }
    return this.states.get(contactKey(contact));
  }

  async markUndeliverable(contact: ContactAddress, status: UndeliverableStatus, at: Date): Promise<void> {
    this.undeliverable.push({ contact, status });
    const { reconfirmingFrom: _over, ...state } = this.states.get(contactKey(contact)) ?? { mutedRules: [] };
    this.put(contact, status, { ...state, status, since: at.toISOString() });
  }

  async reopen(contact: ContactAddress, from: UndeliverableStatus, at: Date): Promise<ContactState | undefined> {
    const state = this.states.get(contactKey(contact));
    if (state?.status !== from) return undefined;
    const reopened: ContactState = { ...state, status: 'pending', since: at.toISOString(), reconfirmingFrom: from };
    this.states.set(contactKey(contact), reopened);
    return reopened;
  }

  async restore(previous: ContactState, at: Date): Promise<void> {
    const state = this.states.get(contactKey(previous.contact));
    if (state?.status !== 'pending' || state.since !== at.toISOString() || state.reconfirmingFrom !== previous.status) {
      return;
    }
    const { reconfirmingFrom: _undone, ...rest } = state;
    this.states.set(contactKey(previous.contact), { ...rest, status: previous.status, since: previous.since });
  }

  async muteRule(contact: ContactAddress, rule: AlertRule): Promise<void> {
    const state = this.states.get(contactKey(contact));
    if (state) this.put(contact, state.status, { ...state, mutedRules: [...new Set([...state.mutedRules, rule])] });
  }

  async claim(contact: ContactAddress, at: Date, minIntervalHours: number): Promise<boolean> {
    const key = contactKey(contact);
    if (!this.states.has(key)) return false;
    const last = this.confirmationSentAt.get(key);
    if (last && last.getTime() >= at.getTime() - minIntervalHours * 3600_000) return false;
    this.confirmationSentAt.set(key, at);
    return true;
  }

  async release(contact: ContactAddress, at: Date): Promise<void> {
    if (this.confirmationSentAt.get(contactKey(contact))?.getTime() === at.getTime()) {
      this.confirmationSentAt.delete(contactKey(contact));
    }
  }
}

/** An outbox that remembers the recipients it was subscribed for and serves the messages a test puts in. */
export class InMemoryOutbox implements AlertOutbox {
  readonly recipients: AlertRecipient[] = [];
  readonly messages: OutboxMessage[] = [];

  async subscribeRecipient(recipient: AlertRecipient): Promise<void> {
    this.recipients.push(recipient);
  }

  async listRecent(limit: number): Promise<OutboxMessage[]> {
    return this.messages.slice(0, limit);
  }
}
