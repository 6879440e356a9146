import { describe, expect, it } from 'vitest';
import { left, level, remaining } from './clock';
import type { Clock } from './generated/Clock';

const clock = (state: Clock['state'], remaining_seconds: number, breach_at: string | null = null): Clock => ({
  kind: 'first_reply',
  state,
  target_minutes: 60,
  remaining_seconds,
  breach_at,
});
const now = new Date('2026-12-05T10:00:00Z');

describe('SLA clocks', () => {
  it('are green above 15 minutes, amber at 15 or less, red once over', () => {
    expect(level(clock('active', 15 * 60 + 1), now)).toBe('ok');
    expect(level(clock('active', 15 * 60), now)).toBe('soon');
    expect(level(clock('breached', -1), now)).toBe('breached');
    expect(level(clock('paused', 60), now)).toBe('paused');
    expect(level(clock('achieved', 60), now)).toBe('met');
  });

  it('run on from the breach instant, without reading the row again', () => {
    // Read an hour ago with an hour left: due now.
    const running = clock('active', 3600, '2026-12-05T10:20:00Z');
    expect(remaining(running, now)).toBe(20 * 60);
    expect(level(running, now)).toBe('ok');
    expect(level(running, new Date('2026-12-05T10:06:00Z'))).toBe('soon');
    expect(level(running, new Date('2026-12-05T10:21:00Z'))).toBe('breached');
    expect(remaining(running, new Date('2026-12-05T10:21:00Z'))).toBe(-60);
    // A paused clock keeps what it had: no business time passes while it waits.
    expect(remaining(clock('paused', 600, null), now)).toBe(600);
  });

  it('say how much is left, negative once breached', () => {
    expect(left(12 * 60 + 30)).toBe('12m');
    expect(left(65 * 60)).toBe('1h 05m');
    expect(left(-25 * 60)).toBe('-25m');
    expect(left(51 * 3600)).toBe('2d 3h');
  });
});
