import type { AppStatus } from '../generated/AppStatus';
import type { CommandName, Commands } from '../generated/Commands';
import { ApiFailure, type Heard, type Platform } from './index';

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

async function request<T>(path: string, init: RequestInit = {}): Promise<T> {
  const res = await fetch(path, {
    ...init,
    // A call made as the page goes (the draft being kept) still reaches the app; the browser
    // takes such bodies only up to 64 KiB.
    keepalive: typeof init.body === 'string' && init.body.length < 60_000,
    headers: { Authorization: `Bearer ${token()}`, 'Content-Type': 'application/json' },
  });
  if (!res.ok) {
    const body = await res.json().catch(() => ({ code: 'internal', message: res.statusText }));
    throw new ApiFailure(body.code, body.message ?? res.statusText);
  }
  return res.json() as Promise<T>;
}

export const webPlatform: Platform = {
  status: () => request<AppStatus>('/api/status'),
  setTitle: (title) => void (document.title = title),
  openLink: (url) => void window.open(url, '_blank', 'noopener,noreferrer'),
  call: <K extends CommandName>(name: K, body: Commands[K]['request']) =>
    request<Commands[K]['response']>('/api/call', { method: 'POST', body: JSON.stringify({ ...body, command: name }) }),
  listen(on) {
    let socket: WebSocket | null = null;
    let stopped = false;
    let retry = 500;
    const open = () => {
      const url = new URL('/api/events', window.location.href);
      url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
      url.searchParams.set('token', token());
      socket = new WebSocket(url);
      socket.onopen = () => (retry = 500);
      socket.onmessage = (m) => on(JSON.parse(m.data) as Heard);
      // The server went away (restart, sleep): come back, and tell the views to reload.
      socket.onclose = () => {
        if (stopped) return;
        setTimeout(() => {
          if (!stopped) {
            on({ event: 'lagged' });
            open();
          }
        }, retry);
        retry = Math.min(retry * 2, 10_000);
      };
    };
    open();
    return () => {
      stopped = true;
      socket?.close();
    };
  },
};
