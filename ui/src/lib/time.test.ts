import { describe, expect, it } from 'vitest';
import { waited } from './time';

describe('waited', () => {
  const now = new Date('2026-11-23T12:00:00Z');
  it('reads at a glance', () => {
    expect(waited(null, now)).toBeNull();
    expect(waited('2026-11-23T11:59:40Z', now)).toBe('now');
    expect(waited('2026-11-23T11:55:00Z', now)).toBe('5m');
    expect(waited('2026-11-23T09:55:00Z', now)).toBe('2h 5m');
    expect(waited('2026-11-23T10:00:00Z', now)).toBe('2h');
    expect(waited('2026-11-20T12:00:00Z', now)).toBe('3d');
  });
});
