// The one place that picks the shell. Everything else calls `platform()`.
import type { AppStatus } from '../generated/AppStatus';
import { tauriPlatform } from './tauri';
import { webPlatform } from './web';

export interface Platform {
  status(): Promise<AppStatus>;
}

export function platform(): Platform {
  return '__TAURI_INTERNALS__' in window ? tauriPlatform : webPlatform;
}
