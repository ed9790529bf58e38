import type { AuditEntry, AuditLog, AuditPage } from '#shared/use-cases/ports/audit-log.ts';

/** `AuditLog` in memory: entries in recording order; `list` gives them newest first like the DynamoDB one. */
export class InMemoryAuditLog implements AuditLog {
  readonly entries: AuditEntry[] = [];

  async record(entry: AuditEntry): Promise<void> {
    this.entries.push(structuredClone(entry));
  }

  async list(subscriptionId: string): Promise<AuditPage> {
    return {
      entries: this.entries.filter((entry) => entry.subscriptionId === subscriptionId).reverse(),
    };
  }

  /** The entries of one kind, in recording order (for assertions). */
  ofKind(kind: AuditEntry['kind']): AuditEntry[] {
    return this.entries.filter((entry) => entry.kind === kind);
  }
}
