import type { AlertRecipient } from '#shared/domain/alerts/alert.ts';
import type {
  BudgetSettings,
  CreditLink,
  Partner,
  PurchaseApproval,
  PurchaseBlockRelease,
} from '#shared/domain/alerts/settings.ts';
import { ConflictError } from '#shared/domain/errors.ts';
import type { AlertOutbox, OutboxMessage } from '#shared/use-cases/alerts/ports/alert-outbox.ts';
import type { AlertContact, AlertContactRegistry } from '#shared/use-cases/alerts/ports/alert-publisher.ts';
import type { BudgetStore } from '#shared/use-cases/alerts/ports/budget-store.ts';
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

/** A contact registry that remembers what was registered for whom. */
export class RecordingContactRegistry implements AlertContactRegistry {
  readonly registered: { recipient: AlertRecipient; contact: AlertContact }[] = [];

  readonly removed: { recipient: AlertRecipient; contact: AlertContact }[] = [];

  async registerContact(recipient: AlertRecipient, contact: AlertContact): Promise<string> {
    this.registered.push({ recipient, contact });
    return `subscription-${this.registered.length}`;
  }

  async removeContact(recipient: AlertRecipient, contact: AlertContact): Promise<void> {
    this.removed.push({ recipient, contact });
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
