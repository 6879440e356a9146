import { invoke } from '@tauri-apps/api/core';
import { listen } from '@tauri-apps/api/event';
import { getCurrentWindow } from '@tauri-apps/api/window';
import type { AppStatus } from '../generated/AppStatus';
import type { CommandName, Commands } from '../generated/Commands';
import { ApiFailure, type Heard, type Platform } from './index';

// Must match EVENT in src-tauri/main.rs.
const EVENT = 'switchboard://event';

async function call<K extends CommandName>(name: K, request: Commands[K]['request']): Promise<Commands[K]['response']> {
  try {
    return await invoke<Commands[K]['response']>('call', { command: { ...request, command: name } });
  } catch (e) {
    const err = e as { code?: string; message?: string };
    throw new ApiFailure(err.code, err.message ?? String(e));
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
