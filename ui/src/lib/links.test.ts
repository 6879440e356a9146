import { describe, expect, it } from 'vitest';
import { linkify } from './links';

describe('linkify', () => {
  it('finds web links and leaves the rest as text', () => {
    expect(linkify('Track it at https://acme.test/t/1Z?x=1. Thanks')).toEqual([
      { text: 'Track it at ', href: null },
      { text: 'https://acme.test/t/1Z?x=1', href: 'https://acme.test/t/1Z?x=1' },
      { text: '. Thanks', href: null },
    ]);
  });
  it('never makes a link of another scheme', () => {
    expect(linkify('javascript:alert(1) data:text/html,<b>x</b>').every((p) => p.href === null)).toBe(true);
    expect(linkify('<a href="javascript:alert(1)">https://x.test"onmouseover=alert(1)</a>')).toContainEqual({
      text: 'https://x.test',
      href: 'https://x.test/',
    });
  });
});
