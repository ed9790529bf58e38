/**
 * Reads the delivery events of the two channels, as they arrive on the DeliveryEvents topic (and from it on the
 * contact-events queue), into `ContactDeliveryEvent`s:
 *
 * - **Amazon SES event publishing** (a configuration set's SNS event destination): `{ eventType, mail, bounce |
 *   complaint | … }`. SES's older feedback notifications say `notificationType` instead of `eventType`; both are read.
 *   `Bounce` with `bounceType: "Permanent"` → bounced, for each `bouncedRecipients[].emailAddress`; `Transient` and
 *   `Undetermined` bounces (a full mailbox, an auto-reply) change nothing. `Complaint` → complained, for each
 *   `complainedRecipients[].emailAddress` (a complaint with `complaintFeedbackType: "not-spam"` is a retraction and
 *   changes nothing). `Send`, `Delivery`, `Open`, `Click`, `DeliveryDelay`, `Reject`, `RenderingFailure`,
 *   `Subscription` change nothing.
 * - **AWS End User Messaging SMS events** (a configuration set's SNS event destination): `{ eventType:
 *   "TEXT_…", destinationPhoneNumber, messageStatus, eventTimestamp }`. `TEXT_INVALID` (the number does not exist)
 *   → bounced; `TEXT_BLOCKED` and a `messageStatus` of `OPTED_OUT` (the number is on the opt-out list) → optedOut.
 *   Delivered, queued, pending, unreachable, carrier-blocked, spam-filtered, expired and unknown texts change
 *   nothing: the phone may be off, or a carrier filter may be lifted; the notifier retries and reports those.
 * - **Inbound SMS** (two-way messaging to an SNS topic, which is how a STOP reply reaches us besides the channel's
 *   own opt-out list): `{ originationNumber, messageBody }`; an opt-out keyword (STOP, UNSUBSCRIBE, 停止, …)
 *   → optedOut for the number that sent it. Any other reply changes nothing.
 *
 * Parsing is lenient: the services add fields, so only the fields used are checked, unknown fields are kept out of
 * the way, and a record of a kind we do not know is returned as ignored rather than failing the batch. SQS bodies
 * come raw (raw message delivery) or in the SNS envelope (`{ Type: "Notification", Message: "<json>" }`).
 */
import * as z from 'zod';
import type { ContactDeliveryEvent } from '#shared/use-cases/alerts/apply-delivery-events.ts';

const snsEnvelope = z.looseObject({ Type: z.literal('Notification'), Message: z.string() });

const recipients = (field: 'bouncedRecipients' | 'complainedRecipients') =>
  z
    .array(z.looseObject({ emailAddress: z.string() }))
    .min(1)
    .describe(field);

const sesBounce = z.looseObject({
  eventType: z.literal('Bounce').optional(),
  notificationType: z.literal('Bounce').optional(),
  bounce: z.looseObject({
    bounceType: z.string(),
    bounceSubType: z.string().optional(),
    bouncedRecipients: recipients('bouncedRecipients'),
    timestamp: z.string().optional(),
  }),
});

const sesComplaint = z.looseObject({
  eventType: z.literal('Complaint').optional(),
  notificationType: z.literal('Complaint').optional(),
  complaint: z.looseObject({
    complainedRecipients: recipients('complainedRecipients'),
    complaintFeedbackType: z.string().optional(),
    timestamp: z.string().optional(),
  }),
});

const sesOther = z.looseObject({
  eventType: z.string().optional(),
  notificationType: z.string().optional(),
  mail: z.looseObject({ destination: z.array(z.string()).optional(), timestamp: z.string().optional() }),
});

const smsEvent = z.looseObject({
  eventType: z.string().regex(/^TEXT_/),
  destinationPhoneNumber: z.string(),
  messageStatus: z.string().optional(),
  eventTimestamp: z.number().optional(),
});

const inboundSms = z.looseObject({
  originationNumber: z.string(),
  messageBody: z.string(),
});

/**
 * Opt-out keywords: the ones carriers and AWS End User Messaging treat as opt-out by default in English, and the
 * Japanese words a person would type (停止 "stop", 配信停止 "stop sending", 解除 "cancel").
 */
const OPT_OUT_KEYWORDS = new Set([
  'STOP',
  'STOPALL',
  'UNSUBSCRIBE',
  'CANCEL',
  'END',
  'QUIT',
  'OPTOUT',
  'OPT-OUT',
  'REVOKE',
  '停止',
  '配信停止',
  '解除',
]);

/**
 * The events of one queue message body.
 * @param receivedAt when no time is in the record (the queue message's own time is then the best there is).
 * @throws Error when the body is not JSON or is JSON of no kind above (the message goes to the dead-letter queue).
 */
export function deliveryEventsOfBody(body: string, receivedAt: Date): ContactDeliveryEvent[] {
  const parsed = parseJson(body);
  const envelope = snsEnvelope.safeParse(parsed);
  const record = envelope.success ? parseJson(envelope.data.Message) : parsed;
  return deliveryEventsOfRecord(record, receivedAt);
}

/** The events of one channel record (already out of its envelope). @throws Error for a record of no known kind. */
export function deliveryEventsOfRecord(record: unknown, receivedAt: Date): ContactDeliveryEvent[] {
  const bounce = sesBounce.safeParse(record);
  if (bounce.success && (bounce.data.eventType ?? bounce.data.notificationType) === 'Bounce') {
    const { bounceType, bounceSubType, bouncedRecipients, timestamp } = bounce.data.bounce;
    const at = dateOr(timestamp, receivedAt);
    return bouncedRecipients.map((recipient) => ({
      contact: { channel: 'email', address: recipient.emailAddress.trim().toLowerCase() },
      effect: bounceType === 'Permanent' ? 'bounced' : 'ignored',
      at,
      cause: `Bounce/${bounceType}${bounceSubType ? `/${bounceSubType}` : ''}`,
    }));
  }
  const complaint = sesComplaint.safeParse(record);
  if (complaint.success && (complaint.data.eventType ?? complaint.data.notificationType) === 'Complaint') {
    const { complainedRecipients, complaintFeedbackType, timestamp } = complaint.data.complaint;
    const at = dateOr(timestamp, receivedAt);
    return complainedRecipients.map((recipient) => ({
      contact: { channel: 'email', address: recipient.emailAddress.trim().toLowerCase() },
      effect: complaintFeedbackType === 'not-spam' ? 'ignored' : 'complained',
      at,
      cause: `Complaint${complaintFeedbackType ? `/${complaintFeedbackType}` : ''}`,
    }));
  }
  const sms = smsEvent.safeParse(record);
  if (sms.success) {
    const { eventType, destinationPhoneNumber, messageStatus, eventTimestamp } = sms.data;
    const effect =
      eventType === 'TEXT_INVALID'
        ? 'bounced'
        : eventType === 'TEXT_BLOCKED' || messageStatus === 'OPTED_OUT'
          ? 'optedOut'
          : 'ignored';
    return [
      {
        contact: { channel: 'sms', address: destinationPhoneNumber.trim() },
        effect,
        at: eventTimestamp === undefined ? receivedAt : new Date(eventTimestamp),
        cause: `${eventType}${messageStatus ? `/${messageStatus}` : ''}`,
      },
    ];
  }
  const inbound = inboundSms.safeParse(record);
  if (inbound.success) {
    const keyword = inbound.data.messageBody.trim().toUpperCase();
    return [
      {
        contact: { channel: 'sms', address: inbound.data.originationNumber.trim() },
        effect: OPT_OUT_KEYWORDS.has(keyword) ? 'optedOut' : 'ignored',
        at: receivedAt,
        cause: `inbound ${keyword.slice(0, 20)}`,
      },
    ];
  }
  const other = sesOther.safeParse(record);
  if (other.success) {
    // A send, a delivery, a delay, an open: about no contact's state.
    return (other.data.mail.destination ?? []).map((address) => ({
      contact: { channel: 'email', address: address.trim().toLowerCase() },
      effect: 'ignored',
      at: dateOr(other.data.mail.timestamp, receivedAt),
      cause: other.data.eventType ?? other.data.notificationType ?? 'unknown',
    }));
  }
  throw new Error(
    'Not a delivery event: expected an SES event (eventType/notificationType with mail), an End User Messaging SMS ' +
      'event (eventType TEXT_… with destinationPhoneNumber) or an inbound SMS (originationNumber, messageBody)',
  );
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`Not JSON: a delivery event must be a JSON object (got ${JSON.stringify(text.slice(0, 40))})`);
  }
}

function dateOr(text: string | undefined, fallback: Date): Date {
  const date = text === undefined ? undefined : new Date(text);
  return date && !Number.isNaN(date.getTime()) ? date : fallback;
}
