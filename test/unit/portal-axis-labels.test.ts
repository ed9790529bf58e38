import { describe, expect, it } from 'vitest';
import { axisTimeLabel } from '#functions/portal/ui/time-labels.ts';

const HOUR = 3_600;
const DAY = 86_400;

describe("the graphs' time-axis labels", () => {
  it('are in Japanese on a Japanese page, in the series zone', () => {
    const texts = { axisTime: (at: number, step: number, zone: string) => axisTimeLabel('ja-JP', at, step, zone) };
    // 2026-12-05T09:00Z is 18:00 in Tokyo.
    expect(texts.axisTime(Date.parse('2026-12-05T09:00:00Z'), 3 * HOUR, 'Asia/Tokyo')).toBe('18時');
    // Tokyo's midnight on a graph of hours says the day instead of "0時".
    expect(texts.axisTime(Date.parse('2026-12-05T15:00:00Z'), 3 * HOUR, 'Asia/Tokyo')).toBe('12/6');
    expect(texts.axisTime(Date.parse('2026-11-30T15:00:00Z'), 7 * DAY, 'Asia/Tokyo')).toBe('12/1');
    expect(texts.axisTime(Date.parse('2026-11-30T15:00:00Z'), 31 * DAY, 'Asia/Tokyo')).toBe('2026/12');
  });

  it('are in US English on an English page', () => {
    const texts = { axisTime: (at: number, step: number, zone: string) => axisTimeLabel('en-US', at, step, zone) };
    expect(texts.axisTime(Date.parse('2026-12-05T18:00:00Z'), 3 * HOUR, 'UTC')).toBe('6 PM');
    expect(texts.axisTime(Date.parse('2026-12-06T00:00:00Z'), 3 * HOUR, 'UTC')).toBe('12/6');
    expect(texts.axisTime(Date.parse('2026-12-06T00:00:00Z'), DAY, 'UTC')).toBe('12/6');
    expect(texts.axisTime(Date.parse('2026-12-01T00:00:00Z'), 31 * DAY, 'UTC')).toBe('12/2026');
  });

  it('show minutes when ticks are closer than an hour', () => {
    expect(axisTimeLabel('en-US', Date.parse('2026-12-05T18:30:00Z'), 30 * 60, 'UTC')).toBe('6:30 PM');
    expect(axisTimeLabel('ja-JP', Date.parse('2026-12-05T18:30:00Z'), 30 * 60, 'UTC')).toBe('18:30');
  });
});
