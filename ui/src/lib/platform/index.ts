// The one place that picks the shell. Everything else calls `platform()`.
import type { AppStatus } from '../generated/AppStatus';
import type { Command } from '../generated/Command';
import type { Event } from '../generated/Event';
import { tauriPlatform } from './tauri';
import { webPlatform } from './web';

/** An event, or `lagged`: some were missed and the views should reload. */
export type Heard = Event | { event: 'lagged' };

export interface Platform {
  status(): Promise<AppStatus>;
  call<T>(command: Command): Promise<T>;
  /** Opens an http(s) link in the system browser. */
  openLink(url: string): void;
  /** The window's title (the unread count shows there). */
  setTitle(title: string): void;
  /** Calls `on` for every workspace event until the returned function is called. */
  listen(on: (event: Heard) => void): () => void;
}

/** An error as the workspace sends it: a stable code and a message for the agent. */
export class ApiFailure extends Error {
  constructor(
    public code: string,
    message: string,
  ) {
    super(message);
  }
}

export function platform(): Platform {
  return '__TAURI_INTERNALS__' in window ? tauriPlatform : webPlatform;
}
