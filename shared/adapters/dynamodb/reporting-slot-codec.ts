import { type RawItem, rawDecimal, rawString } from '#shared/adapters/dynamodb/raw-attributes.ts';
import { MAIN_TABLE_KEYS } from '#shared/adapters/dynamodb/table-keys.ts';
import { Dec } from '#shared/domain/money.ts';
import type { ReportingSlot, SlotSubmission, SubmissionState } from '#shared/domain/reporting/slots.ts';

/**
 * An hourly slot as the reporter sees it: the aggregator's `quantity` plus the reporter's own attributes
 * (`accountedQuantity`, `lateQuantity`, `unreportableQuantity`, the `submission` map whose quantities are decimal
 * strings, `reportVersion`). Attributes a slot does not have yet read as zero.
 */

/** The reporter's view of a stored slot item. @throws Error when an attribute is malformed. */
export function reportingSlotOf(item: RawItem): ReportingSlot {
  const submission = item.submission?.M;
  return {
    subscriptionId: str(item, 'subscriptionId'),
    offerId: str(item, 'offerId'),
    dimension: str(item, 'dimension'),
    hour: str(item, 'hour'),
    quantity: new Dec(optionalDecimal(item, 'quantity')),
    accountedQuantity: new Dec(optionalDecimal(item, 'accountedQuantity')),
    lateQuantity: new Dec(optionalDecimal(item, 'lateQuantity')),
    unreportableQuantity: new Dec(optionalDecimal(item, 'unreportableQuantity')),
    ...(submission ? { submission: submissionOf(submission) } : {}),
    indexed: item[MAIN_TABLE_KEYS.index.partitionKey]?.S !== undefined,
    reportVersion: Number(optionalDecimal(item, 'reportVersion')),
  };
}

/** The submission as a map of strings (quantities stay exact decimal text) and the attempts count. */
export function submissionAttribute(submission: SlotSubmission): Record<string, unknown> {
  const attribute: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(submission)) {
    if (value !== undefined) attribute[name] = value;
  }
  return attribute;
}

const SUBMISSION_TEXT_FIELDS = [
  'quantity',
  'planId',
  'effectiveStartTime',
  'ratedUsage',
  'consumedIncluded',
  'overage',
  'carriedUsage',
  'carriedOverage',
  'termStart',
  'usageEventId',
  'acceptedQuantity',
  'answer',
  'reason',
  'preparedAt',
  'answeredAt',
] as const;

function submissionOf(map: RawItem): SlotSubmission {
  const state = map.state?.S as SubmissionState | undefined;
  if (!state) throw new Error('Stored submission has no state');
  const fields: Record<string, string> = {};
  for (const name of SUBMISSION_TEXT_FIELDS) {
    const value = map[name]?.S;
    if (value !== undefined) fields[name] = value;
  }
  return {
    ...fields,
    state,
    quantity: fields.quantity ?? '0',
    effectiveStartTime: fields.effectiveStartTime ?? '',
    preparedAt: fields.preparedAt ?? '',
    attempts: Number(map.attempts?.N ?? '0'),
  };
}

const str = (item: RawItem, name: string) => rawString(item, name, 'reporting');

function optionalDecimal(item: RawItem, name: string): string {
  return item[name] === undefined ? '0' : rawDecimal(item, name, 'reporting');
}
