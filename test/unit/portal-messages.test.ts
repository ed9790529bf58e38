import { describe, expect, it } from 'vitest';
import { format, MESSAGES } from '#functions/portal/ui/messages.ts';

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((match) => match[1]).sort();

describe('the portal texts', () => {
  it('have the same keys in English and Japanese', () => {
    expect(Object.keys(MESSAGES.ja).sort()).toEqual(Object.keys(MESSAGES.en).sort());
  });

  it('fill the same placeholders in both languages, so no value is lost in translation', () => {
    const differing = Object.entries(MESSAGES.en)
      .filter(([key, text]) => {
        const japanese = MESSAGES.ja[key as keyof typeof MESSAGES.ja];
        return JSON.stringify(placeholders(text)) !== JSON.stringify(placeholders(japanese));
      })
      .map(([key]) => key);
    expect(differing).toEqual([]);
  });

  it('have no empty text, and the Japanese table is Japanese where the English one is words', () => {
    const empty = [...Object.entries(MESSAGES.en), ...Object.entries(MESSAGES.ja)].filter(
      ([, text]) => text.trim() === '',
    );
    const untranslated = Object.entries(MESSAGES.ja)
      .filter(
        ([key]) =>
          key !== 'languageName' &&
          /[a-z]{4}/.test(MESSAGES.en[key as keyof typeof MESSAGES.en].replace(/\{\w+\}/g, '')),
      )
      .filter(([, text]) => !/[\u3040-\u30ff\u4e00-\u9fff]/.test(text))
      .map(([key]) => key);
    expect(empty).toEqual([]);
    expect(untranslated).toEqual([]);
  });

  it('fills placeholders and leaves an unknown one visible', () => {
    expect(format('As of {time}', { time: '09:00' })).toBe('As of 09:00');
    expect(format('{a} and {b}', { a: 1 })).toBe('1 and {b}');
  });
});
