import { ConflictError, NotFoundError } from '#shared/domain/errors.ts';
import type { ApiKeyRecord, ApiKeyStore } from '#shared/use-cases/access/ports/api-key-store.ts';

/** `ApiKeyStore` in a Map, with the same conflict and not-found behaviour as the DynamoDB adapter. */
export class InMemoryApiKeyStore implements ApiKeyStore {
  readonly records = new Map<string, ApiKeyRecord>();

  async create(record: ApiKeyRecord): Promise<void> {
    if (this.records.has(record.keyId)) throw new ConflictError(`API key ${record.keyId} exists already`);
    this.records.set(record.keyId, record);
  }

  async findById(keyId: string): Promise<ApiKeyRecord | undefined> {
    return this.records.get(keyId);
  }

  async list(): Promise<ApiKeyRecord[]> {
    return [...this.records.values()].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }

  async revoke(keyId: string, at: string): Promise<void> {
    const record = this.records.get(keyId);
    if (!record) throw new NotFoundError(`No API key with id ${keyId}`);
    this.records.set(keyId, { ...record, revokedAt: record.revokedAt ?? at });
  }
}
