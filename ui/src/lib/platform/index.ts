// The one place that picks the shell. Everything else calls `platform()` (through `api`).
import type { AppStatus } from '../generated/AppStatus';
import type { CommandName, Commands } from '../generated/Commands';
import type { ErrorCode } from '../generated/ErrorCode';
import type { Event } from '../generated/Event';
import { tauriPlatform } from './tauri';
import { webPlatform } from './web';

/** An event, or `lagged`: some were missed and the views should reload. */
export type Heard = Event | { event: 'lagged' };

export interface Platform {
  status(): Promise<AppStatus>;
  /** Runs a command of the command list: `{"command": name, …request}`. */
  call<K extends CommandName>(name: K, request: Commands[K]['request']): Promise<Commands[K]['response']>;
  /** Opens an http(s) link in the system browser. */
  openLink(url: string): void;
  /** The window's title (the unread count shows there). */
  setTitle(title: string): void;
  /** Calls `on` for every workspace event until the returned function is called. */
  listen(on: (event: Heard) => void): () => void;
}

const CODES: readonly ErrorCode[] = ['store_locked', 'not_found', 'invalid', 'not_allowed', 'internal'];

/** An error as the workspace sends it: a stable code and a message for the agent. */
export class ApiFailure extends Error {
  code: ErrorCode;
  constructor(code: string | undefined, message: string) {
    super(message);
    this.code = CODES.includes(code as ErrorCode) ? (code as ErrorCode) : 'internal';
  }
}

export function platform(): Platform {
  return '__TAURI_INTERNALS__' in window ? tauriPlatform : webPlatform;
}
