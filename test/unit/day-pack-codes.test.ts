import { describe, expect, it } from 'vitest';
import { generateDayPackCode, hashDayPackCode } from '#shared/adapters/day-pack-codes.ts';

describe('day-pack codes', () => {
  it('are 16 Crockford base32 characters in four dash-separated groups', () => {
    const codes = Array.from({ length: 200 }, generateDayPackCode);

    for (const code of codes) expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$/);
    expect(new Set(codes).size).toBe(codes.length);
  });

  it('use every character of the alphabet, so no bits are lost in the encoding', () => {
    const seen = new Set(Array.from({ length: 500 }, generateDayPackCode).join('').replaceAll('-', ''));

    expect(seen.size).toBe(32);
  });

  it('hash the same whatever the case, dashes and spaces, and differently for another code', () => {
    const code = generateDayPackCode();

    expect(hashDayPackCode(code.toLowerCase().replaceAll('-', ' '))).toBe(hashDayPackCode(code));
    expect(hashDayPackCode(code)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashDayPackCode('AAAA-AAAA-AAAA-AAAA')).not.toBe(hashDayPackCode('AAAA-AAAA-AAAA-AAAB'));
  });
});
