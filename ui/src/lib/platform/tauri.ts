import { invoke } from '@tauri-apps/api/core';
import { listen } from '@tauri-apps/api/event';
import { getCurrentWindow } from '@tauri-apps/api/window';
import type { AppStatus } from '../generated/AppStatus';
import type { Command } from '../generated/Command';
import { ApiFailure, type Heard, type Platform } from './index';

// Must match EVENT in src-tauri/main.rs.
const EVENT = 'switchboard://event';

async function call<T>(command: Command): Promise<T> {
  try {
    return await invoke<T>('call', { command });
  } catch (e) {
    const err = e as { code?: string; message?: string };
    throw new ApiFailure(err.code ?? 'internal', err.message ?? String(e));
  }
}

export const tauriPlatform: Platform = {
  status: () => invoke<AppStatus>('status'),
  setTitle: (title) => void getCurrentWindow().setTitle(title),
  openLink: (url) => void invoke('open_link', { url }),
  call,
  listen(on) {
    const stop = listen<Heard>(EVENT, (e) => on(e.payload));
    return () => void stop.then((unlisten) => unlisten());
  },
};
