// An SLA clock as the inbox and the board show it: how much business time is left, and its colour.
import type { Clock } from './generated/Clock';

export type Level = 'ok' | 'soon' | 'breached' | 'paused' | 'met';

/**
 * Seconds until a running clock breaches at `now` (negative once over), from the instant the
 * workspace worked out with the business calendar; a clock that does not run keeps what it had.
 * So the clocks run in the UI without reading the rows again.
 */
export function remaining(clock: Clock, now: Date): number {
  if (clock.breach_at && (clock.state === 'active' || clock.state === 'breached')) {
    return Math.floor((Date.parse(clock.breach_at) - now.getTime()) / 1000);
  }
  return clock.remaining_seconds;
}

/** Green above 15 minutes left, amber at 15 or less, red once over; grey while paused. */
export function level(clock: Clock, now: Date): Level {
  if (clock.state === 'achieved') return 'met';
  if (clock.state === 'paused') return 'paused';
  const left = remaining(clock, now);
  if (clock.state === 'breached' || left < 0) return 'breached';
  return left <= 15 * 60 ? 'soon' : 'ok';
}

/** "12m", "1h 05m", "2d 3h"; negative once breached: "-25m". */
export function left(seconds: number): string {
  const sign = seconds < 0 ? '-' : '';
  const minutes = Math.floor(Math.abs(seconds) / 60);
  if (minutes < 60) return `${sign}${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${sign}${hours}h ${String(minutes % 60).padStart(2, '0')}m`;
  return `${sign}${Math.floor(hours / 24)}d ${hours % 24}h`;
}
