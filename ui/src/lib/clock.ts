// An SLA clock as the inbox and the board show it: how much business time is left, and its colour.
import type { Clock } from './generated/Clock';

export type Level = 'ok' | 'soon' | 'breached' | 'paused' | 'met';

/** Green above 15 minutes left, amber at 15 or less, red once over; grey while paused. */
export function level(clock: Clock): Level {
  if (clock.state === 'achieved') return 'met';
  if (clock.state === 'paused') return 'paused';
  if (clock.state === 'breached' || clock.remaining_seconds < 0) return 'breached';
  return clock.remaining_seconds <= 15 * 60 ? 'soon' : 'ok';
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
