import { describe, expect, it } from 'vitest';
import { left, level } from './clock';
import type { Clock } from './generated/Clock';

const clock = (state: Clock['state'], remaining_seconds: number): Clock => ({
  kind: 'first_reply',
  state,
  target_minutes: 60,
  remaining_seconds,
  breach_at: null,
});

describe('SLA clocks', () => {
  it('are green above 15 minutes, amber at 15 or less, red once over', () => {
    expect(level(clock('active', 15 * 60 + 1))).toBe('ok');
    expect(level(clock('active', 15 * 60))).toBe('soon');
    expect(level(clock('breached', -1))).toBe('breached');
    expect(level(clock('paused', 60))).toBe('paused');
    expect(level(clock('achieved', 60))).toBe('met');
  });

  it('say how much is left, negative once breached', () => {
    expect(left(12 * 60 + 30)).toBe('12m');
    expect(left(65 * 60)).toBe('1h 05m');
    expect(left(-25 * 60)).toBe('-25m');
    expect(left(51 * 3600)).toBe('2d 3h');
  });
});
