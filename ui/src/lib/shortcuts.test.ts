import { describe, expect, it } from 'vitest';
import { actionFor } from './shortcuts';

const press = (key: string, extra: Partial<Parameters<typeof actionFor>[0]> = {}) =>
  actionFor({ key, ctrlKey: false, metaKey: false, altKey: false, inField: false, ...extra });

describe('shortcuts', () => {
  it('maps the inbox keys', () => {
    expect([press('j'), press('k'), press('r'), press('e'), press('/'), press('?')]).toEqual([
      'next',
      'previous',
      'reply',
      'solve',
      'search',
      'help',
    ]);
  });
  it('never fires while typing, except send and escape', () => {
    expect(press('j', { inField: true })).toBeNull();
    expect(press('e', { inField: true })).toBeNull();
    expect(press('Enter', { inField: true, ctrlKey: true })).toBe('send');
    expect(press('Escape', { inField: true })).toBe('escape');
    expect(press('k', { ctrlKey: true })).toBe('palette');
  });
});
