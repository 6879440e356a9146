import { describe, expect, it } from 'vitest';
import { scrollFor, visibleRows } from './window';

describe('visibleRows', () => {
  it('renders what is in view and a few rows either side', () => {
    expect(visibleRows(0, 800, 92, 10_000)).toEqual({ start: 0, end: 18 });
    expect(visibleRows(92 * 500, 800, 92, 10_000)).toEqual({ start: 492, end: 518 });
    expect(visibleRows(92 * 9_995, 800, 92, 10_000)).toEqual({ start: 9_987, end: 10_000 });
    expect(visibleRows(0, 800, 92, 0)).toEqual({ start: 0, end: 0 });
  });
  it('scrolls just enough to show a row', () => {
    expect(scrollFor(0, 500, 800, 92)).toBe(0);
    expect(scrollFor(20, 0, 800, 92)).toBe(21 * 92 - 800);
    expect(scrollFor(3, 0, 800, 92)).toBeNull();
  });
});
