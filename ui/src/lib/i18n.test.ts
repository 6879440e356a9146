import { describe, expect, it } from 'vitest';
import { formatCount, keysOf, pickLang, t } from './i18n';

describe('i18n', () => {
  it('follows the first supported OS locale', () => {
    expect(pickLang(['ko-KR', 'en-US'])).toBe('ko');
    expect(pickLang(['fr-FR', 'en-GB'])).toBe('en');
    expect(pickLang(['de-DE'])).toBe('en');
    expect(pickLang([])).toBe('en');
  });

  it('has every string in both languages', () => {
    expect(keysOf('ko').sort()).toEqual(keysOf('en').sort());
    expect(t('ko', 'unlocked')).toBe('잠금 해제됨');
    expect(t('en', 'unlocked')).toBe('Unlocked');
  });

  it('formats numbers by locale', () => {
    expect(formatCount('en', 1234567)).toBe('1,234,567');
    expect(formatCount('ko', 1234567)).toBe('1,234,567');
  });
});
