import uPlot from 'uplot';
import { h, type Texts, table, uniqueId } from './dom.ts';
import type { MessageKey } from './messages.ts';
import type { AlertItem, Allowance, Granularity, UsageSeries } from './types.ts';

/**
 * One usage graph per metered dimension, switchable by period (hour / day / month, as tabs) and by measure
 * (quantity / charges). Each graph has, beside the canvas, what a screen reader or a spreadsheet needs: a text
 * summary, a data table with a caption (behind a disclosure), a CSV download of exactly the plotted points, and the
 * alerts of the period as markers (dashed lines, also counted in the summary and the table: never colour alone).
 */

export type Measure = 'quantity' | 'money';

export const GRANULARITIES: readonly Granularity[] = ['hour', 'day', 'month'];
const GRANULARITY_TEXT: Readonly<Record<Granularity, MessageKey>> = {
  hour: 'granularityHour',
  day: 'granularityDay',
  month: 'granularityMonth',
};

/** What a graph plots now, for tests: `uplot.data` is what is drawn; `csv` what the download gives. */
export interface ChartRecord {
  readonly dimensionId: string;
  granularity: Granularity;
  measure: Measure;
  uplot: uPlot | undefined;
  markers: number[];
  csv: string;
}

declare global {
  interface Window {
    __portalCharts?: Record<string, ChartRecord>;
  }
}

export interface ChartInput {
  readonly texts: Texts;
  readonly dimensionId: string;
  readonly displayName: string;
  readonly unitOfMeasure: string;
  readonly series: Readonly<Record<Granularity, UsageSeries>>;
  readonly alerts: readonly AlertItem[];
  readonly allowance: Allowance | undefined;
}

interface Row {
  readonly start: string;
  readonly x: number;
  /** The API's exact decimal string. */
  readonly value: string;
  readonly alerts: number;
}

/** A chart card for one dimension; call `draw()` once it is in the document (uPlot measures its container). */
export function usageChart(input: ChartInput): { element: HTMLElement; draw: () => void } {
  const { texts, dimensionId } = input;
  const record: ChartRecord = {
    dimensionId,
    granularity: 'hour',
    measure: 'quantity',
    uplot: undefined,
    markers: [],
    csv: '',
  };
  window.__portalCharts ??= {};
  window.__portalCharts[dimensionId] = record;

  const baseId = uniqueId(`chart-${dimensionId.replace(/[^A-Za-z0-9_-]/g, '_')}`);
  const panelId = `${baseId}-panel`;
  const summaryId = `${baseId}-summary`;
  const tabs = GRANULARITIES.map((granularity) =>
    h(
      'button',
      {
        type: 'button',
        role: 'tab',
        id: `${baseId}-tab-${granularity}`,
        'aria-controls': panelId,
        'data-granularity': granularity,
      },
      texts.t(GRANULARITY_TEXT[granularity]),
    ),
  );
  const measures = (['quantity', 'money'] as const).map((measure) =>
    h(
      'button',
      { type: 'button', 'data-measure': measure },
      texts.t(measure === 'quantity' ? 'measureQuantity' : 'measureMoney'),
    ),
  );
  const summary = h('p', { id: summaryId, class: 'chart-summary' });
  const markersText = h('p', { class: 'chart-markers' });
  const plot = h('div', { class: 'plot', role: 'img', 'aria-describedby': summaryId });
  const asOf = h('div', {});
  const tableHolder = h('div', { class: 'table-scroll' });
  const csvButton = h(
    'button',
    { type: 'button', class: 'secondary', 'data-csv': dimensionId },
    texts.t('downloadCsv'),
  );
  const panel = h(
    'div',
    { role: 'tabpanel', id: panelId, class: 'chart-panel' },
    summary,
    plot,
    markersText,
    asOf,
    h('div', { class: 'chart-actions' }, csvButton),
    h('details', {}, h('summary', {}, texts.t('showTable')), tableHolder),
  );
  const element = h(
    'article',
    { class: 'chart-card', 'data-dimension': dimensionId },
    // The unit or currency belongs to the measure shown, so it is on the y axis and in the table's column, not here.
    h('h3', {}, input.displayName),
    allowanceView(texts, input),
    h(
      'div',
      { class: 'chart-controls' },
      h('div', { role: 'tablist', 'aria-label': texts.t('granularityLabel') }, ...tabs),
      h('div', { role: 'group', 'aria-label': texts.t('measureLabel'), class: 'toggle' }, ...measures),
    ),
    panel,
  );

  const rowsNow = (): Row[] => {
    const series = input.series[record.granularity];
    const points = series.dimensions.find((d) => d.dimensionId === dimensionId)?.points ?? [];
    const starts = points.map((point) => Date.parse(point.start));
    return points.map((point, index) => {
      const from = starts[index] ?? 0;
      const to = starts[index + 1] ?? Date.parse(series.to);
      return {
        start: point.start,
        x: from / 1000,
        value: record.measure === 'quantity' ? point.quantity : point.amount,
        alerts: input.alerts.filter((alert) => {
          const at = Date.parse(alert.createdAt);
          return at >= from && at < to;
        }).length,
      };
    });
  };

  const valueLabel = (): string => {
    const series = input.series[record.granularity];
    return record.measure === 'quantity'
      ? texts.t('colQuantityUnit', { unit: input.unitOfMeasure })
      : texts.t('colAmountCurrency', { currency: series.currency });
  };

  const formatValue = (value: string): string => {
    const series = input.series[record.granularity];
    return record.measure === 'quantity'
      ? texts.number(value)
      : texts.money({ amount: value, currency: series.currency });
  };

  const render = (): void => {
    const series = input.series[record.granularity];
    const rows = rowsNow();
    for (const tab of tabs) {
      const selected = tab.dataset.granularity === record.granularity;
      tab.setAttribute('aria-selected', String(selected));
      if (selected) panel.setAttribute('aria-labelledby', tab.id);
    }
    for (const button of measures)
      button.setAttribute('aria-pressed', String(button.dataset.measure === record.measure));

    const caption = texts.t('chartCaption', {
      dimension: input.displayName,
      measure: texts.t(record.measure === 'quantity' ? 'measureQuantity' : 'measureMoney'),
      granularity: texts.t(GRANULARITY_TEXT[record.granularity]),
    });
    plot.setAttribute('aria-label', caption);
    summary.textContent = summaryText(texts, rows, formatValue, series.timeZone);
    const from = Date.parse(series.from);
    const to = Date.parse(series.to);
    record.markers = input.alerts
      .map((alert) => Date.parse(alert.createdAt))
      .filter((at) => at >= from && at <= to)
      .map((at) => at / 1000);
    markersText.textContent = texts.t('chartMarkers', { count: record.markers.length });
    asOf.replaceChildren(texts.asOf(series.asOf));

    const timeZone = series.timeZone;
    const when = (iso: string) =>
      record.granularity === 'hour'
        ? texts.time(iso, timeZone)
        : record.granularity === 'day'
          ? texts.date(iso, timeZone)
          : texts.month(iso, timeZone);
    tableHolder.replaceChildren(
      table(
        caption,
        [texts.t('colStart'), valueLabel(), texts.t('colAlerts')],
        rows.map((row) => [
          h('time', { datetime: row.start }, when(row.start)),
          h('span', { 'data-value': row.value }, formatValue(row.value)),
          row.alerts === 0 ? '' : String(row.alerts),
        ]),
        { class: 'data-table', 'data-chart-table': dimensionId },
      ),
    );
    record.csv = toCsv({
      dimensionId,
      measure: record.measure,
      unit: input.unitOfMeasure,
      currency: series.currency,
      granularity: record.granularity,
      timeZone,
      rows,
    });
    drawPlot(rows, timeZone);
  };

  const drawPlot = (rows: readonly Row[], timeZone: string): void => {
    const data: uPlot.AlignedData = [rows.map((row) => row.x), rows.map((row) => Number(row.value))];
    const width = Math.max(280, plot.clientWidth || 600);
    record.uplot?.destroy();
    record.uplot = new uPlot(
      {
        width,
        height: 240,
        tzDate: (seconds) => uPlot.tzDate(new Date(seconds * 1000), timeZone),
        legend: { show: false },
        cursor: { show: true, drag: { x: false, y: false } },
        scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] } },
        axes: [
          {
            stroke: '#3b4350',
            grid: { stroke: '#e3e6ea' },
            // Labels in the page's language and the series' zone (x values are epoch seconds).
            values: (_plot, splits, _axis, _space, increment) =>
              splits.map((split) => texts.axisTime(split * 1000, increment, timeZone)),
          },
          {
            stroke: '#3b4350',
            grid: { stroke: '#e3e6ea' },
            size: 70,
            // The same words as the table's value column: "Charge (JPY)" or "Quantity (calls)", so a money graph
            // says its currency and a quantity graph its unit.
            label: valueLabel(),
            labelSize: 24,
            labelFont: '600 13px sans-serif',
            values: (_plot, splits) => splits.map((split) => texts.numberFormat.format(split)),
          },
        ],
        series: [
          {},
          {
            label: valueLabel(),
            stroke: record.measure === 'quantity' ? '#0f6cbd' : '#8a4b00',
            fill: record.measure === 'quantity' ? 'rgba(15,108,189,0.35)' : 'rgba(138,75,0,0.3)',
            width: 1,
            paths: uPlot.paths.bars?.({ size: [0.7, 60], align: 1 }),
          },
        ],
        plugins: [alertMarkers(() => record.markers)],
      },
      data,
      plot,
    );
  };

  tabs.forEach((tab, index) => {
    tab.addEventListener('click', () => {
      record.granularity = GRANULARITIES[index] ?? 'hour';
      render();
    });
    // Arrow keys move between tabs (WAI-ARIA tabs pattern); every tab also stays in the Tab order.
    tab.addEventListener('keydown', (event) => {
      const step = event.key === 'ArrowRight' ? 1 : event.key === 'ArrowLeft' ? -1 : 0;
      if (step === 0) return;
      event.preventDefault();
      const next = tabs[(index + step + tabs.length) % tabs.length];
      next?.focus();
      next?.click();
    });
  });
  for (const button of measures) {
    button.addEventListener('click', () => {
      record.measure = button.dataset.measure === 'money' ? 'money' : 'quantity';
      render();
    });
  }
  // The canvas has a fixed size: follow the container when the window changes (phone rotation, resized window).
  window.addEventListener('resize', () => {
    record.uplot?.setSize({ width: Math.max(280, plot.clientWidth), height: 240 });
  });
  csvButton.addEventListener('click', () => {
    const name = `${dimensionId}-${record.granularity}-${record.measure}.csv`;
    download(name, record.csv);
  });

  return { element, draw: render };
}

function summaryText(
  texts: Texts,
  rows: readonly Row[],
  formatValue: (value: string) => string,
  timeZone: string,
): string {
  const first = rows[0];
  const last = rows[rows.length - 1];
  if (!first || !last) return texts.t('chartSummaryEmpty');
  let max = first;
  let total = 0;
  for (const row of rows) {
    total += Number(row.value);
    if (Number(row.value) > Number(max.value)) max = row;
  }
  return texts.t('chartSummary', {
    count: rows.length,
    from: texts.time(first.start, timeZone),
    to: texts.time(last.start, timeZone),
    // The total is for reading only (floating point is fine at display precision); tables and CSV keep exact strings.
    total: formatValue(String(total)),
    max: formatValue(max.value),
    maxAt: texts.time(max.start, timeZone),
  });
}

export interface CsvInput {
  readonly dimensionId: string;
  readonly measure: Measure;
  readonly unit: string;
  readonly currency: string;
  readonly granularity: Granularity;
  /** The series' zone: the graph's axis and table show period starts in it. */
  readonly timeZone: string;
  readonly rows: readonly { readonly start: string; readonly value: string; readonly alerts: number }[];
}

/**
 * The CSV of what the graph shows: one row per plotted point, the API's exact decimals. The first columns are as
 * they always were (`start` in ISO-8601 UTC, dimension, value, unit or currency), so scripts reading them by position
 * keep working; then the period's start as the graph shows it (in the series' zone, in a form spreadsheets read as a
 * date), that zone, and the alerts of the period, as the table counts them.
 *
 * It starts with a UTF-8 byte order mark: without it Excel on Japanese Windows reads the file as Shift_JIS and
 * garbles any non-ASCII text.
 */
export function toCsv(input: CsvInput): string {
  const header =
    input.measure === 'quantity'
      ? 'start,dimension,quantity,unit,local_start,time_zone,alerts'
      : 'start,dimension,amount,currency,local_start,time_zone,alerts';
  const valueUnit = input.measure === 'quantity' ? input.unit : input.currency;
  const lines = input.rows.map((row) =>
    [
      row.start,
      input.dimensionId,
      row.value,
      valueUnit,
      localStart(row.start, input.granularity, input.timeZone),
      input.timeZone,
      String(row.alerts),
    ]
      .map(csvCell)
      .join(','),
  );
  return `\uFEFF${[header, ...lines].join('\r\n')}\r\n`;
}

/** Formatters by zone: the CSV is rebuilt on each render of each graph, and making one is a locale data lookup. */
const localStartFormats = new Map<string, Intl.DateTimeFormat>();

/**
 * A period's start in `timeZone` as "2026-12-07 18:00" (hours), "2026-12-07" (days) or "2026-12" (months): what the
 * graph shows, in the form spreadsheets take for a date whatever their language.
 */
export function localStart(iso: string, granularity: Granularity, timeZone: string): string {
  let formatter = localStartFormats.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
      timeZone,
    });
    localStartFormats.set(timeZone, formatter);
  }
  const parts = Object.fromEntries(formatter.formatToParts(new Date(iso)).map((part) => [part.type, part.value]));
  const month = `${parts.year}-${parts.month}`;
  if (granularity === 'month') return month;
  const day = `${month}-${parts.day}`;
  return granularity === 'day' ? day : `${day} ${parts.hour}:${parts.minute}`;
}

/** RFC 4180 quoting; a leading formula character is neutralised so a spreadsheet never runs a cell. */
function csvCell(value: string): string {
  const safe = /^[=+\-@]/.test(value) && !/^-?\d/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

function download(name: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/csv;charset=utf-8' }));
  const link = h('a', { href: url, download: name, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Dashed vertical lines with a "!" flag at each alert: shape and label, not only colour. */
function alertMarkers(markers: () => readonly number[]): uPlot.Plugin {
  return {
    hooks: {
      draw: [
        (u) => {
          const { ctx } = u;
          const { top, height } = u.bbox;
          ctx.save();
          ctx.strokeStyle = '#b3261e';
          ctx.fillStyle = '#b3261e';
          ctx.lineWidth = 2 * uPlot.pxRatio;
          ctx.setLineDash([6 * uPlot.pxRatio, 4 * uPlot.pxRatio]);
          ctx.font = `bold ${12 * uPlot.pxRatio}px sans-serif`;
          ctx.textAlign = 'center';
          for (const x of markers()) {
            const position = u.valToPos(x, 'x', true);
            ctx.beginPath();
            ctx.moveTo(position, top);
            ctx.lineTo(position, top + height);
            ctx.stroke();
            ctx.fillText('!', position, top + 12 * uPlot.pxRatio);
          }
          ctx.restore();
        },
      ],
    },
  };
}

/**
 * The term's first and last day as the marketplace dates it: terms start at 00:00 UTC and are [start, end), so the
 * last day is the UTC day before `end`. Shown as UTC dates: in the page's zone a term starting at 00:00 UTC would
 * start a day early west of UTC (and the exclusive end would read as one more day of the term).
 */
function termDays(texts: Texts, term: { readonly start: string; readonly end: string }) {
  const lastInstant = new Date(Date.parse(term.end) - 1).toISOString();
  return { first: texts.date(term.start, 'UTC'), last: texts.date(lastInstant, 'UTC') };
}

function allowanceView(texts: Texts, input: ChartInput): HTMLElement | null {
  const allowance = input.allowance;
  const entry = allowance?.dimensions.find((d) => d.dimensionId === input.dimensionId);
  if (!allowance || !entry) return null;
  const unit = input.unitOfMeasure;
  const box = (...children: (Node | null)[]) =>
    h('div', { class: 'allowance', 'data-allowance': input.dimensionId }, ...children, texts.asOf(allowance.asOf));
  const unlimited = entry.included === 'unlimited';
  if (!unlimited && Number(entry.included) === 0) return box(h('p', {}, texts.t('allowanceNone')));
  // Before activation the API has no term (null) and nothing is used: say what each term will include.
  if (!allowance.term) {
    return box(
      h(
        'p',
        {},
        unlimited
          ? texts.t('allowanceNotStartedUnlimited')
          : texts.t('allowanceNotStarted', { included: texts.number(entry.included), unit }),
      ),
    );
  }
  const { first, last } = termDays(texts, allowance.term);
  // Unlimited: nothing to run out of, so no meter (it would have no maximum); the usage is still worth knowing.
  if (unlimited) {
    return box(h('p', {}, texts.t('allowanceUnlimited', { first, last, used: texts.number(entry.used), unit })));
  }
  const meterId = uniqueId('allowance');
  return box(
    h(
      'p',
      { id: meterId },
      texts.t('allowance', {
        first,
        last,
        included: texts.number(entry.included),
        unit,
        used: texts.number(entry.used),
        remaining: texts.number(entry.remaining),
      }),
    ),
    h('meter', {
      min: 0,
      max: entry.included,
      value: Math.min(Number(entry.used), Number(entry.included)),
      'aria-label': texts.t('allowanceMeter'),
      'aria-describedby': meterId,
    }),
    Number(entry.overage) > 0
      ? h('p', { class: 'overage' }, texts.t('allowanceOverage', { overage: texts.number(entry.overage), unit }))
      : null,
  );
}
