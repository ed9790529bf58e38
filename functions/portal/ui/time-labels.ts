/**
 * Time labels of the graphs' x axes. A module without the DOM, so that it is tested in Node as well as in the page.
 */

/** Formatters by locale, zone and kind: making one is a locale data lookup, and a graph asks for one per tick. */
const formats = new Map<string, Intl.DateTimeFormat>();

function dateFormat(locale: string, kind: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `${locale}|${options.timeZone}|${kind}`;
  let formatter = formats.get(key);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat(locale, options);
    formats.set(key, formatter);
  }
  return formatter;
}

/**
 * A time-axis label in the page's locale and the series' zone: uPlot's own labels are English ("6pm", "12/5/26")
 * whatever the page's language. Ticks under a day apart show the time (the hour, with minutes when they are closer
 * than an hour), and the date at the zone's midnight, so a 48-hour graph says which day; a day to under a month apart,
 * month and day; further apart, year and month.
 */
export function axisTimeLabel(locale: string, epochMs: number, incrementSeconds: number, timeZone: string): string {
  const at = new Date(epochMs);
  if (incrementSeconds >= 28 * 86_400) {
    return dateFormat(locale, 'month', { year: 'numeric', month: 'numeric', timeZone }).format(at);
  }
  const monthDay = dateFormat(locale, 'day', { month: 'numeric', day: 'numeric', timeZone });
  if (incrementSeconds >= 86_400) return monthDay.format(at);
  const hourOfDay = dateFormat(locale, 'hour23', { hour: 'numeric', hourCycle: 'h23', timeZone });
  if (Number(hourOfDay.format(at).replace(/\D/g, '')) === 0) return monthDay.format(at);
  return incrementSeconds >= 3_600
    ? dateFormat(locale, 'hour', { hour: 'numeric', timeZone }).format(at)
    : dateFormat(locale, 'minute', { hour: 'numeric', minute: '2-digit', timeZone }).format(at);
}
