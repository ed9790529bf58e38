import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import {
  cancelledIndexes,
  decodeCursor,
  encodeCursor,
  epochSeconds,
  type Item,
  moneyAttribute,
  queryAll,
  readDate,
  readMap,
  readNumber,
  readOptionalString,
  readString,
  readStringList,
} from '#shared/adapters/dynamodb/dynamo-item.ts';
import { INDEX_PARTITION, TABLE_PARTITION } from '#shared/adapters/dynamodb/partition-keys.ts';
import { MAIN_INDEX_NAME } from '#shared/adapters/dynamodb/table-keys.ts';
import {
  type CreditLevels,
  type CreditLink,
  type Partner,
  type PurchaseApproval,
  type PurchaseBlockRelease,
  parseCreditLevels,
  parsePartner,
} from '#shared/domain/alerts/settings.ts';
import { normalizeEntraId } from '#shared/domain/entra-ids.ts';
import { ConflictError } from '#shared/domain/errors.ts';
import type { PartnerStore } from '#shared/use-cases/partners/ports/partner-store.ts';
import type { Page, PageRequest, PartnerDirectory } from '#shared/use-cases/portal-data/ports/directories.ts';

const PARTNER_SK = 'PARTNER';
const TENANT_SK = 'PARTNER_TENANT';
const CREDIT_LINK_SK = 'CREDIT_LINK';
const APPROVAL_SK_PREFIX = 'APPROVAL#';
// Expired approvals stay readable for a month (for the partner's and support's questions), then TTL removes them.
const APPROVAL_RETENTION_SECONDS = 30 * 24 * 3600;

const PARTNERS_INDEX_KEY = INDEX_PARTITION.partners;
const partnerKey = (partnerId: string) => ({ pk: `${TABLE_PARTITION.partner}${partnerId}`, sk: PARTNER_SK });
// Lower case: a tenant id is a GUID, however the publisher typed it or the id token spells it (entra-ids.ts).
const tenantKey = (tenantId: string) => ({
  pk: `${TABLE_PARTITION.partnerTenant}${normalizeEntraId(tenantId)}`,
  sk: TENANT_SK,
});
/**
 * The tenant claims a save of `partner` leaves behind: the old tenant's when the partner moves to another tenant, and
 * a claim stored under the tenant id as typed (before claims were keyed in lower case), which lookups by the lower-case
 * id no longer find. Never the claim the save puts (one item cannot be put and deleted in one transaction).
 */
function staleClaimKeys(existing: Partner | undefined, partner: Partner): { pk: string; sk: string }[] {
  if (!existing) return [];
  const kept = tenantKey(partner.tenantId).pk;
  const candidates = [
    tenantKey(existing.tenantId),
    { pk: `${TABLE_PARTITION.partnerTenant}${existing.tenantId}`, sk: TENANT_SK },
  ];
  return candidates.filter((key, index) => key.pk !== kept && candidates.findIndex((k) => k.pk === key.pk) === index);
}

export const creditLinkKey = (subscriptionId: string) => ({
  pk: `${TABLE_PARTITION.subscription}${subscriptionId}`,
  sk: CREDIT_LINK_SK,
});
const partnerLinksIndexKey = (partnerId: string) => `${INDEX_PARTITION.partner}${partnerId}#CREDIT_LINKS`;

/**
 * Reseller partners, credit links and approvals in the main table (single-table design):
 *
 * - partner: `pk = PARTNER#<partnerId>`, `sk = PARTNER`;
 * - tenant claim: `pk = PARTNER_TENANT#<tenantId>` (lower case), `sk = PARTNER_TENANT`, `partnerId`: makes a tenant
 *   belong to one partner (written in the same transaction as the partner, conditionally), and finds the partner of a
 *   reseller purchase by the purchaser's tenant with one read;
 * - credit link: `pk = SUB#<subscriptionId>`, `sk = CREDIT_LINK`, with the partner, the customer and the three
 *   levels; `gsi1pk = PARTNER#<partnerId>#CREDIT_LINKS`, `gsi1sk = <customerId>#<subscriptionId>` (a partner's customers);
 *   `purchaseBlockedLevelSetAt` (ISO) and the partner's release of a purchase block, `purchaseBlockReleasedAt` (ISO)
 *   and `purchaseBlockReleasedBy`, on the same item, so the one read of the link brings them;
 * - approval: `pk = SUB#<subscriptionId>`, `sk = APPROVAL#<approvalId>`, `approvalExpiresAt` (ISO) and the table's TTL
 *   attribute `expiresAt` = that expiry + 30 days. TTL deletes lazily, so reads filter on `approvalExpiresAt`.
 *
 * Items are read back through the domain's `parse…` functions, so a stored setting that no longer validates fails
 * loudly instead of steering the credit policy.
 */
export class DynamoPartnerStore implements PartnerStore, PartnerDirectory {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async getPartner(partnerId: string): Promise<Partner | undefined> {
    const result = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: partnerKey(partnerId), ConsistentRead: true }),
    );
    return result.Item ? toPartner(result.Item) : undefined;
  }

  async listPartners(page: PageRequest): Promise<Page<Partner>> {
    const result = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: MAIN_INDEX_NAME,
        KeyConditionExpression: 'gsi1pk = :pk',
        ExpressionAttributeValues: { ':pk': PARTNERS_INDEX_KEY },
        Limit: page.limit,
        ExclusiveStartKey: decodeCursor(page.cursor, { attribute: 'gsi1pk', value: PARTNERS_INDEX_KEY }, [
          'pk',
          'sk',
          'gsi1pk',
          'gsi1sk',
        ]),
      }),
    );
    const nextCursor = encodeCursor(result.LastEvaluatedKey);
    return { items: (result.Items ?? []).map(toPartner), ...(nextCursor ? { nextCursor } : {}) };
  }

  async putPartner(partner: Partner): Promise<void> {
    const existing = await this.getPartner(partner.id);
    try {
      await this.client.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.tableName,
                Item: partnerItem(partner),
                // The partner must be as read: a concurrent change of its tenant would leave a stale claim.
                ...(existing === undefined
                  ? { ConditionExpression: 'attribute_not_exists(pk)' }
                  : {
                      ConditionExpression: 'tenantId = :previousTenant',
                      ExpressionAttributeValues: { ':previousTenant': existing.tenantId },
                    }),
              },
            },
            {
              Put: {
                TableName: this.tableName,
                Item: { ...tenantKey(partner.tenantId), type: 'PartnerTenant', partnerId: partner.id },
                ConditionExpression: 'attribute_not_exists(pk) OR partnerId = :partnerId',
                ExpressionAttributeValues: { ':partnerId': partner.id },
              },
            },
            ...staleClaimKeys(existing, partner).map((Key) => ({
              Delete: {
                TableName: this.tableName,
                Key,
                // Gone already is fine (a claim stored under the old spelling only); another partner's is not.
                ConditionExpression: 'attribute_not_exists(pk) OR partnerId = :partnerId',
                ExpressionAttributeValues: { ':partnerId': partner.id },
              },
            })),
          ],
        }),
      );
    } catch (error) {
      const failed = cancelledIndexes(error);
      if (failed?.condition.has(1)) {
        throw new ConflictError(
          `Tenant ${partner.tenantId} is registered for another partner; a tenant can belong to one partner only.`,
          { cause: error },
        );
      }
      if (failed && (failed.condition.size > 0 || failed.conflict.size > 0)) {
        throw new ConflictError(`Partner ${partner.id} changed meanwhile; read it again and retry.`, { cause: error });
      }
      throw error;
    }
  }

  async findPartnerByTenant(tenantId: string): Promise<Partner | undefined> {
    const claim = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: tenantKey(tenantId), ConsistentRead: true }),
    );
    return claim.Item ? this.getPartner(readString(claim.Item, 'partnerId')) : undefined;
  }

  async getCreditLink(subscriptionId: string): Promise<CreditLink | undefined> {
    const result = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: creditLinkKey(subscriptionId), ConsistentRead: true }),
    );
    return result.Item ? toCreditLink(result.Item) : undefined;
  }

  async putCreditLink(link: CreditLink): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...creditLinkKey(link.subscriptionId),
          type: 'CreditLink',
          gsi1pk: partnerLinksIndexKey(link.partnerId),
          gsi1sk: `${link.customerId}#${link.subscriptionId}`,
          partnerId: link.partnerId,
          customerId: link.customerId,
          subscriptionId: link.subscriptionId,
          levels: levelsAttribute(link.levels),
          ...(link.purchaseBlockedLevelSetAt
            ? { purchaseBlockedLevelSetAt: link.purchaseBlockedLevelSetAt.toISOString() }
            : {}),
          ...(link.purchaseBlockRelease
            ? {
                purchaseBlockReleasedAt: link.purchaseBlockRelease.at.toISOString(),
                purchaseBlockReleasedBy: link.purchaseBlockRelease.by,
              }
            : {}),
        },
      }),
    );
  }

  async releasePurchaseBlock(
    link: Pick<CreditLink, 'subscriptionId' | 'partnerId' | 'purchaseBlockedLevelSetAt'>,
    release: PurchaseBlockRelease,
  ): Promise<void> {
    const setAt = link.purchaseBlockedLevelSetAt?.toISOString();
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: creditLinkKey(link.subscriptionId),
          UpdateExpression: 'SET purchaseBlockReleasedAt = :at, purchaseBlockReleasedBy = :by',
          // The release is for the check the caller saw: the same partner, the same purchase-blocked level setting.
          ConditionExpression:
            setAt === undefined
              ? 'partnerId = :partnerId AND attribute_not_exists(purchaseBlockedLevelSetAt)'
              : 'partnerId = :partnerId AND purchaseBlockedLevelSetAt = :setAt',
          ExpressionAttributeValues: {
            ':at': release.at.toISOString(),
            ':by': release.by,
            ':partnerId': link.partnerId,
            ...(setAt === undefined ? {} : { ':setAt': setAt }),
          },
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        throw new ConflictError(
          `The credit link of subscription ${link.subscriptionId} changed meanwhile; read it again and retry.`,
          { cause: error },
        );
      }
      throw error;
    }
  }

  async deleteCreditLink(subscriptionId: string): Promise<void> {
    await this.client.send(new DeleteCommand({ TableName: this.tableName, Key: creditLinkKey(subscriptionId) }));
  }

  async listCreditLinks(partnerId: string): Promise<CreditLink[]> {
    const items = await queryAll(this.client, {
      TableName: this.tableName,
      IndexName: MAIN_INDEX_NAME,
      KeyConditionExpression: 'gsi1pk = :pk',
      ExpressionAttributeValues: { ':pk': partnerLinksIndexKey(partnerId) },
    });
    return items.map(toCreditLink);
  }

  async putApproval(approval: PurchaseApproval): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          pk: `${TABLE_PARTITION.subscription}${approval.subscriptionId}`,
          sk: `${APPROVAL_SK_PREFIX}${approval.id}`,
          type: 'PurchaseApproval',
          approvalId: approval.id,
          partnerId: approval.partnerId,
          subscriptionId: approval.subscriptionId,
          planId: approval.planId,
          maxQuantity: approval.maxQuantity,
          approvedAt: approval.approvedAt.toISOString(),
          approvalExpiresAt: approval.expiresAt.toISOString(),
          expiresAt: epochSeconds(approval.expiresAt) + APPROVAL_RETENTION_SECONDS,
        },
      }),
    );
  }

  async listApprovals(subscriptionId: string, options: { readonly activeAt?: Date } = {}): Promise<PurchaseApproval[]> {
    const items = await queryAll(this.client, {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: {
        ':pk': `${TABLE_PARTITION.subscription}${subscriptionId}`,
        ':prefix': APPROVAL_SK_PREFIX,
      },
      ConsistentRead: true,
    });
    const activeAt = options.activeAt?.getTime();
    return items
      .map(toApproval)
      .filter((approval) => activeAt === undefined || approval.expiresAt.getTime() > activeAt)
      .sort((a, b) => b.expiresAt.getTime() - a.expiresAt.getTime());
  }
}

function partnerItem(partner: Partner): Item {
  return {
    ...partnerKey(partner.id),
    type: 'Partner',
    partnerId: partner.id,
    // The partners list (`listPartners`): one index partition of partner records, by id. A partner stored before
    // the list existed appears once it is saved again.
    gsi1pk: PARTNERS_INDEX_KEY,
    gsi1sk: partner.id,
    name: partner.name,
    tenantId: partner.tenantId,
    locale: partner.locale,
    ...(partner.timeZone === undefined ? {} : { timeZone: partner.timeZone }),
    contacts: { emails: [...partner.contacts.emails], phones: [...partner.contacts.phones] },
  };
}

function toPartner(item: Item): Partner {
  const contacts = readMap(item, 'contacts');
  const timeZone = readOptionalString(item, 'timeZone');
  return parsePartner({
    id: readString(item, 'partnerId'),
    name: readString(item, 'name'),
    tenantId: readString(item, 'tenantId'),
    locale: readString(item, 'locale'),
    ...(timeZone === undefined ? {} : { timeZone }),
    contacts: { emails: readStringList(contacts, 'emails'), phones: readStringList(contacts, 'phones') },
  });
}

function levelsAttribute(levels: CreditLevels): Item {
  return {
    warning: moneyAttribute(levels.warning),
    approvalRequired: moneyAttribute(levels.approvalRequired),
    purchaseBlocked: moneyAttribute(levels.purchaseBlocked),
  };
}

/** A stored credit link item as the domain's link (levels validated again). */
export function toCreditLink(item: Item): CreditLink {
  const levels = readMap(item, 'levels');
  const amount = (name: string) => {
    const value = readMap(levels, name);
    return { amount: readString(value, 'amount'), currency: readString(value, 'currency') };
  };
  const setAt = readOptionalString(item, 'purchaseBlockedLevelSetAt');
  const releasedAt = readOptionalString(item, 'purchaseBlockReleasedAt');
  return {
    partnerId: readString(item, 'partnerId'),
    customerId: readString(item, 'customerId'),
    subscriptionId: readString(item, 'subscriptionId'),
    levels: parseCreditLevels({
      warning: amount('warning'),
      approvalRequired: amount('approvalRequired'),
      purchaseBlocked: amount('purchaseBlocked'),
    }),
    ...(setAt === undefined ? {} : { purchaseBlockedLevelSetAt: readDate(item, 'purchaseBlockedLevelSetAt') }),
    ...(releasedAt === undefined
      ? {}
      : {
          purchaseBlockRelease: {
            at: readDate(item, 'purchaseBlockReleasedAt'),
            by: readString(item, 'purchaseBlockReleasedBy'),
          },
        }),
  };
}

function toApproval(item: Item): PurchaseApproval {
  const planId = readOptionalString(item, 'planId');
  return {
    id: readString(item, 'approvalId'),
    partnerId: readString(item, 'partnerId'),
    subscriptionId: readString(item, 'subscriptionId'),
    ...(planId === undefined ? {} : { planId }),
    ...(item.maxQuantity === undefined ? {} : { maxQuantity: readNumber(item, 'maxQuantity') }),
    approvedAt: readDate(item, 'approvedAt'),
    expiresAt: readDate(item, 'approvalExpiresAt'),
  };
}
