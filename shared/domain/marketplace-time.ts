/**
 * Instants as Microsoft's marketplace APIs write them.
 *
 * Microsoft's APIs return some instants without a zone designator: a subscription's `lastModified` may be
 * `0001-01-01T00:00:00` (reference/marketplace-api.md §1.3), and so is a Duplicate's `messageTime` in a batch result
 * (§4.1). They are UTC, like every time of these APIs: the metering slot is "the UTC calendar hour of
 * `effectiveStartTime`" (§6 item 8). ECMAScript reads a date-time without a zone as local time, so on a host whose zone
 * is not UTC such an instant would move by the host's offset, and usage read back from Microsoft (`effectiveStartTime`,
 * `usageDate`) would land in another hour or day.
 */

/** `Z` (either case, as RFC 3339 allows) or a numeric offset (`+09:00`, `-0500`) at the end of the text. */
const ZONE_DESIGNATOR = /(Z|[+-]\d\d:?\d\d)$/i;

/**
 * The instant a marketplace time stamp stands for: one with a zone designator as written, one without as UTC.
 * The text is read as it comes (the response schemas have trimmed it already).
 * @returns undefined when the text is not a date-time.
 */
export function parseMarketplaceInstant(text: string): Date | undefined {
  const time = Date.parse(ZONE_DESIGNATOR.test(text) ? text : `${text}Z`);
  return Number.isNaN(time) ? undefined : new Date(time);
}
