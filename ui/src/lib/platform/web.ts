import type { AppStatus } from '../generated/AppStatus';
import type { Platform } from './index';

// Web mode hands out a per-launch token in the URL it prints. Keep it for this tab only and
// drop it from the address bar so it is not bookmarked or shared by accident.
function token(): string {
  const url = new URL(window.location.href);
  const fromUrl = url.searchParams.get('token');
  if (fromUrl) {
    sessionStorage.setItem('switchboard-token', fromUrl);
    url.searchParams.delete('token');
    history.replaceState(null, '', url.toString());
    return fromUrl;
  }
  return sessionStorage.getItem('switchboard-token') ?? '';
}

async function call<T>(path: string): Promise<T> {
  const res = await fetch(path, { headers: { Authorization: `Bearer ${token()}` } });
  if (!res.ok) {
    const body = await res.json().catch(() => ({ message: res.statusText }));
    throw new Error(body.message ?? res.statusText);
  }
  return res.json() as Promise<T>;
}

export const webPlatform: Platform = {
  status: () => call<AppStatus>('/api/status'),
};
