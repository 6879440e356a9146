import { describe, expect, it } from 'vitest';
import { findCanned, placeholdersIn, slashQuery } from './canned';

const library = [
  { shortcut: 'where', title: 'Where is my order', variants: [] },
  { shortcut: 'refund', title: 'Refund started', variants: [] },
  { shortcut: 'hours', title: 'Opening hours', variants: [] },
];

describe('canned replies', () => {
  it('finds by shortcut or title, fuzzily, best first', () => {
    expect(findCanned(library, 'rfnd').map((r) => r.shortcut)).toEqual(['refund']);
    expect(findCanned(library, 'order')[0].shortcut).toBe('where');
    expect(findCanned(library, '').length).toBe(3);
    expect(findCanned(library, 'zzz')).toEqual([]);
  });

  it('sees a slash query only at a word start', () => {
    expect(slashQuery('/wh', 3)).toEqual({ start: 0, query: 'wh' });
    expect(slashQuery('Hi! /ref', 8)).toEqual({ start: 4, query: 'ref' });
    expect(slashQuery('and/or', 6)).toBeNull();
    expect(slashQuery('https://x', 9)).toBeNull();
  });

  it('lists placeholders left in a text', () => {
    expect(placeholdersIn('Hi {{ customer.name }}, {{order.number}} }}')).toEqual(['customer.name', 'order.number']);
  });
});
