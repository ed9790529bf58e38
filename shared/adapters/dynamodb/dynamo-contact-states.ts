import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type Item, readString } from '#shared/adapters/dynamodb/dynamo-item.ts';
import { TABLE_PARTITION } from '#shared/adapters/dynamodb/partition-keys.ts';
import { ALERT_RULES, type AlertRecipient, type AlertRule, recipientAddress } from '#shared/domain/alerts/alert.ts';
import { ALERT_LOCALES, type AlertLocale } from '#shared/domain/alerts/settings.ts';
import { StoredValueInvalidError } from '#shared/domain/errors.ts';
import type { ConfirmationRequests } from '#shared/use-cases/alerts/ports/contact-links.ts';
import {
  type ContactAddress,
  type ContactRegistration,
  type ContactRegistry,
  type ContactState,
  type ContactStateChanges,
  type ContactStates,
  type ContactStatus,
  contactKey,
  type UndeliverableStatus,
} from '#shared/use-cases/alerts/ports/contact-states.ts';

/** Partition-key prefix of contact items (one partition per address: no hot key, whatever the number of contacts). */
export const CONTACT_KEY_PREFIX = TABLE_PARTITION.contact;
const STATE_SK = 'STATE';
export const contactItemKey = (contact: ContactAddress) => ({
  pk: `${CONTACT_KEY_PREFIX}${contactKey(contact)}`,
  sk: STATE_SK,
});

const STATUSES: readonly ContactStatus[] = ['pending', 'active', 'bounced', 'complained', 'optedOut'];
const UNDELIVERABLE: readonly UndeliverableStatus[] = ['bounced', 'complained', 'optedOut'];
/** Reads in flight at once for one `read` call. */
const PARALLEL_READS = 25;

/**
 * Contact states in the main table: `pk = CONTACT#<channel>:<address>`, `sk = STATE`, with `status`, `since`,
 * `locale`, `mutedRules` (a string set), `recipients` (a string set of `customer:<id>` / `partner:<id>`),
 * `confirmationSentAt` (the last confirmation message) and, while a re-confirmation the owner asked for is open,
 * `reconfirmingFrom` (the undeliverable status it came from).
 *
 * One item per address, whoever lists it: a bounce or an opt-out is a fact about the address. The item is never
 * deleted when the last recipient drops the address, so an opted-out person who is typed into another form stays
 * opted out (and a bounced address is not retried).
 */
export class DynamoContactStates implements ContactStates, ContactRegistry, ContactStateChanges, ConfirmationRequests {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async read(contacts: readonly ContactAddress[]): Promise<ReadonlyMap<string, ContactState>> {
    const states = new Map<string, ContactState>();
    const unique = [...new Map(contacts.map((contact) => [contactKey(contact), contact])).values()];
    // Few contacts per recipient (a budget lists a handful): consistent Gets in parallel read the latest state (a
    // bounce just recorded must stop the next send), which BatchGet's eventually consistent default would not.
    for (let start = 0; start < unique.length; start += PARALLEL_READS) {
      const results = await Promise.all(
        unique.slice(start, start + PARALLEL_READS).map(async (contact) => {
          const result = await this.client.send(
            new GetCommand({ TableName: this.tableName, Key: contactItemKey(contact), ConsistentRead: true }),
          );
          return result.Item ? toState(contact, result.Item) : undefined;
        }),
      );
      for (const state of results) if (state) states.set(contactKey(state.contact), state);
    }
    return states;
  }

  async register(
    recipient: AlertRecipient,
    contact: ContactAddress,
    locale: AlertLocale,
  ): Promise<ContactRegistration> {
    const at = this.now().toISOString();
    const result = await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: contactItemKey(contact),
        UpdateExpression:
          'SET #status = if_not_exists(#status, :pending), since = if_not_exists(since, :at), ' +
          'locale = if_not_exists(locale, :locale), registeredAt = if_not_exists(registeredAt, :at) ' +
          'ADD recipients :recipient',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':pending': 'pending',
          ':at': at,
          ':locale': locale,
          ':recipient': new Set([recipientAddress(recipient)]),
        },
        // The item as it was: none means this call created it. Status, since and locale are only set when absent,
        // so a known contact's state is unchanged by the call.
        ReturnValues: 'ALL_OLD',
      }),
    );
    if (result.Attributes) return { state: toState(contact, result.Attributes), isNew: false };
    return { state: { contact, status: 'pending', since: at, locale, mutedRules: [] }, isNew: true };
  }

  async remove(recipient: AlertRecipient, contact: ContactAddress): Promise<void> {
    await this.client
      .send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: contactItemKey(contact),
          UpdateExpression: 'DELETE recipients :recipient',
          // Removing an address that was never registered must not create an item.
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':recipient': new Set([recipientAddress(recipient)]) },
        }),
      )
      .catch(ignoreConditionFailed);
  }

  async recipientsOf(contact: ContactAddress): Promise<readonly string[]> {
    const result = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: contactItemKey(contact), ConsistentRead: true }),
    );
    const recipients = result.Item?.recipients;
    return recipients instanceof Set ? [...(recipients as Set<string>)].sort() : [];
  }

  async confirm(contact: ContactAddress, at: Date): Promise<ContactState | undefined> {
    try {
      const result = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: contactItemKey(contact),
          // The person's own confirmation: the only way to `active`, also out of a re-confirmation the owner asked for.
          UpdateExpression: 'SET #status = :active, since = :at REMOVE reconfirmingFrom',
          ConditionExpression: '#status = :pending',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':active': 'active', ':pending': 'pending', ':at': at.toISOString() },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return toState(contact, result.Attributes ?? {});
    } catch (error) {
      ignoreConditionFailed(error);
      // Not pending: already active, undeliverable, or unknown. Answer with what is stored.
      return (await this.read([contact])).get(contactKey(contact));
    }
  }

  async markUndeliverable(contact: ContactAddress, status: UndeliverableStatus, at: Date): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: contactItemKey(contact),
        UpdateExpression:
          'SET #status = :status, since = :at, locale = if_not_exists(locale, :locale) REMOVE reconfirmingFrom',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':status': status, ':at': at.toISOString(), ':locale': 'en' },
      }),
    );
  }

  async reopen(contact: ContactAddress, from: UndeliverableStatus, at: Date): Promise<ContactState | undefined> {
    try {
      const result = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: contactItemKey(contact),
          UpdateExpression: 'SET #status = :pending, since = :at, reconfirmingFrom = :from',
          // Only from the status the owner saw: a bounce, an opt-out or a confirmation recorded meanwhile wins.
          ConditionExpression: '#status = :from',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':pending': 'pending', ':from': from, ':at': at.toISOString() },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return toState(contact, result.Attributes ?? {});
    } catch (error) {
      ignoreConditionFailed(error);
      return undefined;
    }
  }

  async restore(previous: ContactState, at: Date): Promise<void> {
    if (previous.status === 'pending' || previous.status === 'active') {
      throw new Error(`restore puts back an undeliverable state, not "${previous.status}"`);
    }
    await this.client
      .send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: contactItemKey(previous.contact),
          UpdateExpression: 'SET #status = :previous, since = :since REMOVE reconfirmingFrom',
          // Only our own reopen (pending since `at`, from that status): anything later stays.
          ConditionExpression: '#status = :pending AND since = :at AND reconfirmingFrom = :previous',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':previous': previous.status,
            ':since': previous.since,
            ':pending': 'pending',
            ':at': at.toISOString(),
          },
        }),
      )
      .catch(ignoreConditionFailed);
  }

  async muteRule(contact: ContactAddress, rule: AlertRule, at: Date): Promise<void> {
    await this.client
      .send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: contactItemKey(contact),
          UpdateExpression: 'ADD mutedRules :rule SET mutedAt = :at',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':rule': new Set([rule]), ':at': at.toISOString() },
        }),
      )
      .catch(ignoreConditionFailed);
  }

  async claim(contact: ContactAddress, at: Date, minIntervalHours: number): Promise<boolean> {
    const before = new Date(at.getTime() - minIntervalHours * 3600_000).toISOString();
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: contactItemKey(contact),
          UpdateExpression: 'SET confirmationSentAt = :at',
          // ISO-8601 UTC instants of one format compare as strings in time order.
          ConditionExpression:
            'attribute_exists(pk) AND (attribute_not_exists(confirmationSentAt) OR confirmationSentAt < :before)',
          ExpressionAttributeValues: { ':at': at.toISOString(), ':before': before },
        }),
      );
      return true;
    } catch (error) {
      ignoreConditionFailed(error);
      return false;
    }
  }

  async release(contact: ContactAddress, at: Date): Promise<void> {
    await this.client
      .send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: contactItemKey(contact),
          UpdateExpression: 'REMOVE confirmationSentAt',
          // Only our own claim: a later one by another save stays.
          ConditionExpression: 'confirmationSentAt = :at',
          ExpressionAttributeValues: { ':at': at.toISOString() },
        }),
      )
      .catch(ignoreConditionFailed);
  }
}

function toState(contact: ContactAddress, item: Item): ContactState {
  const status = readString(item, 'status');
  const locale = readString(item, 'locale');
  if (!STATUSES.includes(status as ContactStatus) || !ALERT_LOCALES.includes(locale as AlertLocale)) {
    throw new StoredValueInvalidError(
      `The stored state of contact ${contactKey(contact)} is invalid (status "${status}", locale "${locale}")`,
    );
  }
  const muted = item.mutedRules instanceof Set ? [...(item.mutedRules as Set<string>)] : [];
  const reconfirmingFrom = item.reconfirmingFrom;
  if (reconfirmingFrom !== undefined && !UNDELIVERABLE.includes(reconfirmingFrom as UndeliverableStatus)) {
    throw new StoredValueInvalidError(
      `The stored state of contact ${contactKey(contact)} is invalid (reconfirmingFrom "${String(reconfirmingFrom)}")`,
    );
  }
  return {
    contact,
    status: status as ContactStatus,
    since: readString(item, 'since'),
    locale: locale as AlertLocale,
    mutedRules: ALERT_RULES.filter((rule) => muted.includes(rule)),
    ...(typeof item.confirmationSentAt === 'string' ? { confirmationSentAt: item.confirmationSentAt } : {}),
    ...(reconfirmingFrom !== undefined ? { reconfirmingFrom: reconfirmingFrom as UndeliverableStatus } : {}),
  };
}

function ignoreConditionFailed(error: unknown): void {
  if ((error as { name?: string }).name !== 'ConditionalCheckFailedException') throw error;
}
