import { format, MESSAGES, type MessageKey, type PortalLanguage } from './messages.ts';
import { axisTimeLabel } from './time-labels.ts';
import type { MoneyJson } from './types.ts';

/**
 * DOM building without `innerHTML`: every text goes in as a text node, so nothing from the API can become markup,
 * and nothing sets a `style` attribute (the CSP allows no inline styles; uPlot's CSSOM changes are not attributes).
 */

type Child = Node | string | number | null | undefined | false | readonly Child[];
type Attributes = Readonly<Record<string, string | number | boolean | undefined | EventListener>>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue;
    if (typeof value === 'function') element.addEventListener(name.replace(/^on/, ''), value);
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  append(element, children);
  return element;
}

function append(parent: Node, children: readonly Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(parent, child);
    else parent.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

let lastId = 0;
/** A document-unique id for `aria-*` and `for` references. */
export const uniqueId = (prefix: string): string => `${prefix}-${++lastId}`;

/** The language's texts and formatters, made once per page. */
export class Texts {
  readonly numberFormat: Intl.NumberFormat;
  /**
   * Formatters by kind, currency or time zone: making one is costly (a locale data lookup), and the subscription page
   * formats thousands of table cells (30 dimensions × 48 hours), which made formatter construction most of its time.
   */
  readonly #formats = new Map<string, Intl.NumberFormat | Intl.DateTimeFormat>();

  constructor(
    readonly language: PortalLanguage,
    readonly timeZone: string = 'UTC',
  ) {
    this.numberFormat = new Intl.NumberFormat(language === 'ja' ? 'ja-JP' : 'en-US', { maximumFractionDigits: 6 });
  }

  t(key: MessageKey, values?: Readonly<Record<string, string | number>>): string {
    return format(MESSAGES[this.language][key], values);
  }

  locale(): string {
    return this.language === 'ja' ? 'ja-JP' : 'en-US';
  }

  /** A decimal string for reading; the exact string stays in tables' `data-value` and in CSV. */
  number(value: string | number): string {
    return this.numberFormat.format(Number(value));
  }

  money(value: MoneyJson | undefined): string {
    if (!value) return '—';
    return this.#numberFormat(`currency:${value.currency}`, { style: 'currency', currency: value.currency }).format(
      Number(value.amount),
    );
  }

  percent(fraction: number): string {
    return this.#numberFormat('percent', { style: 'percent', maximumFractionDigits: 1 }).format(fraction);
  }

  /** An instant in the page's time zone, with the zone named (figures are read against it). */
  time(iso: string, timeZone: string = this.timeZone): string {
    return this.#dateFormat(`time:${timeZone}`, {
      // dateStyle/timeStyle cannot be combined with timeZoneName (a TypeError), hence the fields one by one.
      year: 'numeric',
      month: 'short',
      day: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
      timeZone,
      timeZoneName: 'short',
    }).format(new Date(iso));
  }

  date(iso: string, timeZone: string = this.timeZone): string {
    return this.#dateFormat(`date:${timeZone}`, { dateStyle: 'medium', timeZone }).format(new Date(iso));
  }

  /** A calendar month ("December 2026"), for the monthly graphs. */
  month(iso: string, timeZone: string = this.timeZone): string {
    return this.#dateFormat(`month:${timeZone}`, { year: 'numeric', month: 'long', timeZone }).format(new Date(iso));
  }

  /** A graph's time-axis label in the page's language (see `axisTimeLabel`). */
  axisTime(epochMs: number, incrementSeconds: number, timeZone: string = this.timeZone): string {
    return axisTimeLabel(this.locale(), epochMs, incrementSeconds, timeZone);
  }

  #numberFormat(key: string, options: Intl.NumberFormatOptions): Intl.NumberFormat {
    const known = this.#formats.get(key);
    if (known) return known as Intl.NumberFormat;
    const formatter = new Intl.NumberFormat(this.locale(), options);
    this.#formats.set(key, formatter);
    return formatter;
  }

  #dateFormat(key: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
    const known = this.#formats.get(key);
    if (known) return known as Intl.DateTimeFormat;
    const formatter = new Intl.DateTimeFormat(this.locale(), options);
    this.#formats.set(key, formatter);
    return formatter;
  }

  /** "As of …" under a figure: every figure says how fresh it is. */
  asOf(iso: string): HTMLParagraphElement {
    return h('p', { class: 'as-of' }, h('time', { datetime: iso }, this.t('asOf', { time: this.time(iso) })));
  }
}

/** A section with a heading, labelled by it. */
export function section(id: string, heading: string, ...children: Child[]): HTMLElement {
  const headingId = `${id}-heading`;
  return h('section', { id, 'aria-labelledby': headingId }, h('h2', { id: headingId }, heading), ...children);
}

/** A table with a caption; `head` and `rows` hold cell contents. */
export function table(
  caption: string,
  head: readonly string[],
  rows: readonly (readonly Child[])[],
  attributes: Attributes = {},
): HTMLTableElement {
  return h(
    'table',
    attributes,
    h('caption', {}, caption),
    h('thead', {}, h('tr', {}, ...head.map((cell) => h('th', { scope: 'col' }, cell)))),
    h('tbody', {}, ...rows.map((row) => h('tr', {}, ...row.map((cell) => h('td', {}, cell))))),
  );
}
