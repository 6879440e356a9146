import { invoke } from '@tauri-apps/api/core';
import type { AppStatus } from '../generated/AppStatus';
import type { Platform } from './index';

export const tauriPlatform: Platform = {
  status: () => invoke<AppStatus>('status'),
};
