/**
 * Look-ups that ingest makes for every event, remembered across events. They exist for throughput: a request of
 * 1,000 events asks the same two questions (which dimensions does this plan meter? which UTC hour is this instant
 * in?) 1,000 times with nearly always the same answer, and answering afresh each time cost a measurable share of
 * the ingest rate (BENCHMARKS.md). Both are safe to keep for the life of a Lambda instance: a catalog never changes
 * while a function runs (a new catalog is a new object, so it misses the cache), and an hour's ISO text is fixed.
 *
 * Module state is deliberate here and nowhere else in the domain; the caches hold no request data, only answers
 * derived from the catalog and the calendar.
 */
import type { Catalog } from '#shared/domain/catalog.ts';
import { dimensionIdsOf, findPlan } from '#shared/domain/catalog-rules.ts';
import { floorToUtcHour } from '#shared/domain/terms.ts';

/** Every plan's metered dimension ids, per catalog object; weak, so a replaced catalog is collected with its answers. */
const dimensionsByCatalog = new WeakMap<Catalog, Map<string, ReadonlySet<string>>>();
/** The last answer, checked first: the events of one request nearly always name one plan. */
let lastDimensions: { catalog: Catalog; offerId: string; planId: string; ids: ReadonlySet<string> } | undefined;

/**
 * The metered dimension ids of a plan, looked up once per catalog and plan.
 * @throws NotFoundError when the offer or plan is not in the catalog (not remembered: a later catalog may have it).
 */
export function meteredDimensionsOf(catalog: Catalog, offerId: string, planId: string): ReadonlySet<string> {
  const last = lastDimensions;
  if (last && last.catalog === catalog && last.offerId === offerId && last.planId === planId) return last.ids;
  let byPlan = dimensionsByCatalog.get(catalog);
  if (!byPlan) {
    byPlan = new Map();
    dimensionsByCatalog.set(catalog, byPlan);
  }
  const key = `${offerId}\u0000${planId}`;
  let ids = byPlan.get(key);
  if (!ids) {
    ids = new Set(dimensionIdsOf(findPlan(catalog, offerId, planId)));
    byPlan.set(key, ids);
  }
  lastDimensions = { catalog, offerId, planId, ids };
  return ids;
}

/** The last hour named, checked first: the events of one request fall in a few hours. */
let lastHour: { start: number; iso: string } = { start: Number.NaN, iso: '' };

/** The UTC hour of an instant, as the ISO string slots are keyed by (`2026-01-15T10:00:00.000Z`). */
export function utcHourOf(at: Date): string {
  const start = floorToUtcHour(at).getTime();
  if (start !== lastHour.start) lastHour = { start, iso: new Date(start).toISOString() };
  return lastHour.iso;
}
