// The main flow in the real desktop app (WebKitGTK) under Xvfb, driven through tauri-driver:
// the demo syncs, a thread opens, a reply reaches the sandbox. The app's session bus has dunst
// for notifications; the tests read the tray icon (a StatusNotifierItem) and the notifications
// over that bus, and the window title from the X server.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile, execFileSync } from 'node:child_process';
import { PAYLOADS, payloadJsonl } from './payloads';
import { CTRL_ENTER, WebDriver } from './webdriver';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const screenshots = join(root, 'target/screenshots');
const app = join(root, 'target/debug/switchboard-desktop');

let driverProcess: ChildProcess;
let driver: WebDriver;
/** tauri-driver's port: each session it opens launches the app anew. */
let port: number;
let home: string;
let sandbox: Promise<string>;
/** The app's session bus and X display (with its key), as the session wrote them down. */
let session: { bus: string; display: string; xauthority: string };

// An email with a file attached, imported before the app opens: its Save is tested in WebKit.
const RECEIPT = Buffer.from(`%PDF-1.4 receipt ${Date.now().toString(36)}`);
const emailRecord = {
  kind: 'message',
  account: 'email:help@acme.test',
  conversation: 'receipt@customer.test',
  id: 'sha256:receipt',
  direction: 'in',
  author: { kind: 'customer', name: 'Jane Doe', handle: 'jane@customer.test' },
  text: 'The receipt is attached.',
  at: new Date().toISOString(),
  attachments: [{ kind: 'file', name: 'receipt.pdf', mime: 'application/pdf', size: RECEIPT.length }],
  email: {
    message_id: 'receipt@customer.test',
    subject: 'My receipt',
    raw: Buffer.from(
      [
        'From: Jane Doe <jane@customer.test>',
        'To: help@acme.test',
        'Subject: My receipt',
        'Message-ID: <receipt@customer.test>',
        'MIME-Version: 1.0',
        'Content-Type: multipart/mixed; boundary="b"',
        '',
        '--b',
        'Content-Type: text/plain; charset=utf-8',
        '',
        'The receipt is attached.',
        '--b',
        'Content-Type: application/pdf',
        'Content-Disposition: attachment; filename="receipt.pdf"',
        'Content-Transfer-Encoding: base64',
        '',
        RECEIPT.toString('base64'),
        '--b--',
        '',
      ].join('\r\n'),
    ).toString('base64'),
  },
};

/** Runs a command on the app's bus and display; its output. */
const inSession = (command: string, ...args: string[]) =>
  execFileSync(command, args, {
    env: { PATH: process.env.PATH, DBUS_SESSION_BUS_ADDRESS: session.bus, DISPLAY: session.display, XAUTHORITY: session.xauthority },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    // A connection that never answers is given up on (gdbus's own timeout does not always fire).
    timeout: 5_000,
  });

/** Asks `read` again until it gives a value `done` accepts (or the test times out). */
async function until<T>(read: () => T | Promise<T>, done: (value: T) => boolean): Promise<T> {
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    await new Promise((ok) => setTimeout(ok, 100));
  }
}

/** The tray icon's label, which shows the unread count (empty at none): read from the
 * StatusNotifierItem the app exports on the bus. */
let trayItem: [string, string] | undefined;
async function trayCount(): Promise<number> {
  trayItem ??= await findTrayItem();
  const label = inSession('gdbus', 'call', '--session', '--dest', trayItem[0], '--object-path', trayItem[1], '--method', 'org.freedesktop.DBus.Properties.Get', 'org.kde.StatusNotifierItem', 'XAyatanaLabel');
  const shown = /<'([^']*)'>/.exec(label)?.[1];
  if (shown === undefined) throw new Error(`the tray label is unreadable: ${label}`);
  return shown === '' ? 0 : Number(shown);
}

/** The app's connection to the bus that has the tray item, and the item's object path. */
async function findTrayItem(): Promise<[string, string]> {
  const bus = ['--session', '--dest', 'org.freedesktop.DBus', '--object-path', '/org/freedesktop/DBus'];
  const names = inSession('gdbus', 'call', ...bus, '--method', 'org.freedesktop.DBus.ListNames').match(/:\d+\.\d+/g) ?? [];
  const app = names.filter((name) => {
    try {
      const pid = /uint32 (\d+)/.exec(inSession('gdbus', 'call', ...bus, '--method', 'org.freedesktop.DBus.GetConnectionUnixProcessID', name))?.[1];
      return !!pid && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('switchboard-desktop');
    } catch {
      return false; // gone already (each gdbus call is a connection of its own)
    }
  });
  // The app has several connections (each notification has its own) and only GTK's has the item;
  // the others never answer, so all are asked at once.
  const root = '/org/ayatana/NotificationItem';
  const env = { PATH: process.env.PATH, DBUS_SESSION_BUS_ADDRESS: session.bus };
  const found = await Promise.all(
    app.map(
      (name) =>
        new Promise<[string, string] | undefined>((ok) =>
          execFile('gdbus', ['call', '--session', '--dest', name, '--object-path', root, '--method', 'org.freedesktop.DBus.Introspectable.Introspect'], { env, timeout: 5_000 }, (_, tree) => {
            const item = /<node name=\\?"(\w+)\\?"/.exec(tree ?? '')?.[1];
            ok(item ? [name, `${root}/${item}`] : undefined);
          }),
        ),
    ),
  );
  const item = found.find((f) => f !== undefined);
  if (!item) throw new Error('no tray icon of the app on the bus');
  return item;
}

/** The unread count in the window's title ("(3) Switchboard"), as the X server has it. */
function titleCount(): number | undefined {
  const title = /"(?:\((\d+)\) )?Switchboard"/.exec(inSession('xwininfo', '-root', '-tree'));
  return title ? Number(title[1] ?? 0) : undefined;
}

beforeAll(async () => {
  mkdirSync(screenshots, { recursive: true });
  home = mkdtempSync(join(tmpdir(), 'switchboard-desktop-'));
  port = 4444 + Math.floor(Math.random() * 1000);
  // The store holds the hostile payloads before the app first opens it.
  const cli = join(root, 'target/debug/switchboard');
  const store = join(home, 'data/s.db');
  const env = { PATH: process.env.PATH, HOME: home, SWITCHBOARD_PASSPHRASE: 'desktop-test' };
  execFileSync(cli, ['--store', store, 'init'], { env, stdio: 'ignore' });
  writeFileSync(join(home, 'payloads.jsonl'), payloadJsonl() + JSON.stringify(emailRecord) + '\n');
  execFileSync(cli, ['--store', store, 'import', join(home, 'payloads.jsonl')], { env, stdio: 'ignore' });
  driverProcess = spawn(
    'dbus-run-session',
    [
      '--',
      'xvfb-run',
      '-a',
      '-s',
      '-screen 0 1280x800x24',
      'sh',
      '-c',
      // The session's bus and display are written down for the tests; dunst shows notifications.
      'printf "%s\\n%s\\n%s\\n" "$DBUS_SESSION_BUS_ADDRESS" "$DISPLAY" "$XAUTHORITY" > "$HOME/session"; dunst >/dev/null 2>&1 & exec tauri-driver "$@"',
      'session',
      '--port',
      String(port),
      '--native-port',
      String(port + 1000),
    ],
    {
      env: {
        PATH: `${process.env.PATH}:${process.env.HOME}/.cargo/bin`,
        HOME: home,
        XDG_DATA_HOME: join(home, 'data'),
        XDG_CONFIG_HOME: join(home, 'config'),
        XDG_CACHE_HOME: join(home, 'cache'),
        XDG_STATE_HOME: join(home, 'state'),
        XDG_RUNTIME_DIR: home,
        SWITCHBOARD_STORE: join(home, 'data/s.db'),
        SWITCHBOARD_PASSPHRASE: 'desktop-test',
        SWITCHBOARD_DEMO: '1',
        // Customers write only when a test has them write.
        SWITCHBOARD_DEMO_RATE: '0',
        SWITCHBOARD_AGENT: 'mina',
        WEBKIT_DISABLE_COMPOSITING_MODE: '1',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
      // Its own process group: the bus, Xvfb, the driver and the app all stop together.
      detached: true,
    },
  );
  // The app's stderr comes through tauri-driver: it names the demo's sandbox.
  sandbox = new Promise((ok) => {
    createInterface({ input: driverProcess.stderr! }).on('line', (line) => {
      const m = /demo: sandbox at (\S+)/.exec(line);
      if (m) ok(m[1]);
    });
  });
  driver = await WebDriver.start(`http://127.0.0.1:${port}`, app);
  // Written before tauri-driver started, so there by now.
  const [bus, display, xauthority] = readFileSync(join(home, 'session'), 'utf8').split('\n');
  session = { bus, display, xauthority };
}, 60_000);

afterAll(async () => {
  await driver?.quit().catch(() => {});
  if (driverProcess?.pid) process.kill(-driverProcess.pid, 'SIGTERM');
  rmSync(home, { recursive: true, force: true });
});

const save = async (name: string) => writeFileSync(join(screenshots, name), await driver.screenshot());

describe('desktop app', () => {
  it('syncs the demo into the inbox and sends a reply the sandbox receives', async () => {
    await driver.find('[data-testid=conversation]');
    await save('desktop-inbox.png');
    await (await driver.findXPath("//nav//button[normalize-space()='telegram']")).click();
    await driver.find('[data-testid=conversation] .badge.telegram');
    await (await driver.find('[data-testid=conversation] button')).click();
    await driver.find('[data-testid=thread] [data-testid=message]');

    const stats = async () => (await fetch(`${await sandbox}/_sandbox/stats`)).json();
    const before = (await stats()).channels.telegram.replies;
    const composer = await driver.find('[data-testid=composer]');
    await composer.click();
    await composer.type(`From the desktop: it ships today.${CTRL_ENTER}`);
    // Found once the sync has sent it (finding waits).
    const sent = await driver.find('[data-testid=message][data-delivery=sent]');
    expect(await sent.text()).toContain('From the desktop: it ships today.');
    expect((await stats()).channels.telegram.replies).toBe(before + 1);
    await save('desktop-reply.png');
  });

  it('shows a new customer message live', async () => {
    const written = await (await fetch(`${await sandbox}/_sandbox/customer-writes?channel=telegram`, { method: 'POST' })).json();
    await driver.findXPath(`//*[@data-testid='inbox']//*[contains(text(), ${JSON.stringify(written.text.slice(0, 20))})]`);
  });

  it('renders hostile content as text in WebKit: nothing runs', async () => {
    await (await driver.findXPath("//nav//button[normalize-space()='x']")).click();
    await driver.find('[data-testid=conversation] .badge.x');
    // Each conversation is opened in turn, and its thread rendered, inside the page: rows off
    // screen are not laid out, which WebDriver's own click refuses.
    await driver.cmd('timeouts', { script: 120_000 });
    const opened = await driver.cmd('execute/async', {
      script: `const done = arguments[arguments.length - 1];
        (async () => {
          const frame = () => new Promise((ok) => requestAnimationFrame(ok));
          const list = document.querySelector('[data-testid=inbox]');
          const total = Math.round(list.querySelector('ul').getBoundingClientRect().height / 92);
          for (let i = 0; i < total; i++) {
            // The list renders only the rows in view: bring row i there, then open it.
            list.scrollTop = i * 92;
            await frame();
            const row = document.querySelector('[data-testid=conversation][data-index="' + i + '"]');
            row.querySelector('button').click();
            const who = row.querySelector('.customer').textContent;
            while (document.querySelector('[data-testid=thread]')?.getAttribute('aria-label') !== who) await frame();
          }
          return total;
        })().then(done, (e) => done(String(e)));`,
      args: [],
    });
    if (typeof opened !== 'number') throw new Error(`opening every conversation failed: ${opened}`);
    expect(opened).toBeGreaterThanOrEqual(PAYLOADS.length);
    await save('desktop-hostile.png');
    expect(await driver.run<unknown>('return window.__pwned === undefined')).toBe(true);
    // No alert, confirm or prompt is open.
    await expect(driver.cmd('alert/text')).rejects.toThrow(/no such alert/);
  });

  it('counts unread in the tray and the title, and a clicked notification opens its thread', async () => {
    // Every demo account has caught up (Settings shows none syncing), so the count holds still;
    // the tray and the title agree on it.
    await (await driver.find('[data-testid=open-settings]')).click();
    await until(
      () => driver.run<number[]>(`const n = (s) => document.querySelectorAll('[data-testid=account] .state.' + s).length;
        return [n('idle'), n('syncing')]`),
      ([idle, syncing]) => idle > 0 && syncing === 0,
    );
    const start = await until(
      async () => [await trayCount(), titleCount()],
      ([tray, title]) => tray === title,
    );
    expect(start[0]).toBeGreaterThan(0);
    const notified = await watchNotifications();
    inSession('dunstctl', 'close-all');
    const text = `Is my parcel lost? ${Date.now().toString(36)}`;
    await fetch(`${await sandbox}/_sandbox/customer-writes?channel=telegram&new=1&text=${encodeURIComponent(text)}`, { method: 'POST' });

    // The desktop hears of it: a notification, one more unread in the tray and the title.
    await notified(text);
    await until(
      async () => [await trayCount(), titleCount()],
      ([tray, title]) => tray === start[0] + 1 && title === tray,
    );

    // The agent clicks the notification (dunst's default action): its thread opens, and being
    // read it leaves the count where it was.
    inSession('dunstctl', 'action', '0');
    await driver.findXPath(`//*[@data-testid='thread']//*[@data-testid='message'][contains(., ${JSON.stringify(text)})]`);
    await until(
      async () => [await trayCount(), titleCount()],
      ([tray, title]) => tray === start[0] && title === tray,
    );
    await save('desktop-opened-from-notification.png');
  });

  it('saves an email attachment to the Downloads folder, never over a file', async () => {
    await (await driver.findXPath("//nav//button[normalize-space()='email']")).click();
    await (await driver.findXPath("//*[@data-testid='conversation']//button[contains(., 'My receipt')]")).click();
    const saveButton = "//*[@data-testid='thread']//*[@data-testid='attachment'][contains(., 'receipt.pdf')]//button[normalize-space()='Save']";
    await (await driver.findXPath(saveButton)).click();
    const first = join(home, 'Downloads', 'receipt.pdf');
    expect(await (await driver.findXPath(`//*[@data-testid='saved'][contains(., ${JSON.stringify(first)})]`)).text()).toBe(`Saved to ${first}`);
    expect(readFileSync(first)).toEqual(RECEIPT);
    await save('desktop-saved.png');

    // Saved again: a second file beside the first.
    await (await driver.findXPath(saveButton)).click();
    const second = join(home, 'Downloads', 'receipt (1).pdf');
    await driver.findXPath(`//*[@data-testid='saved'][contains(., ${JSON.stringify(second)})]`);
    expect(readFileSync(second)).toEqual(RECEIPT);
    expect(readFileSync(first)).toEqual(RECEIPT);
  });

  // Last: the app that the earlier tests watched (its sandbox, its tray item) is gone after it.
  it('keeps a draft across a restart of the app', async () => {
    await (await driver.findXPath("//nav//button[normalize-space()='telegram']")).click();
    // A row of the Telegram view, not of the view it replaces.
    const telegram = "//*[@data-testid='conversation'][.//*[contains(concat(' ', @class, ' '), ' badge ') and contains(concat(' ', @class, ' '), ' telegram ')]]";
    const id = await (await driver.findXPath(telegram)).attribute('data-id');
    await (await driver.find(`[data-testid=conversation][data-id="${id}"] button`)).click();
    await driver.find(`[data-testid=thread][data-conversation="${id}"]`);
    const draft = `Half an answer, kept overnight (${Date.now().toString(36)})`;
    const composer = await driver.find('[data-testid=composer]');
    await composer.click();
    await composer.type(draft);
    // Kept once typing rests: its row says so.
    await driver.find(`[data-testid=conversation][data-id="${id}"] [data-testid=draft]`);

    // Closing the session closes the app; the next one starts it again on the same store.
    await driver.quit();
    const closed = Date.now();
    driver = await WebDriver.start(`http://127.0.0.1:${port}`, app);
    // A page loaded anew, not the old one found again.
    expect(await driver.run<number>('return performance.timeOrigin')).toBeGreaterThan(closed);
    await (await driver.findXPath("//nav//button[normalize-space()='telegram']")).click();
    await driver.find(`[data-testid=conversation][data-id="${id}"] [data-testid=draft]`);
    await (await driver.find(`[data-testid=conversation][data-id="${id}"] button`)).click();
    await driver.find(`[data-testid=thread][data-conversation="${id}"]`);
    expect(await driver.run<string>("return document.querySelector('[data-testid=composer]').value")).toBe(draft);
    await save('desktop-draft-restarted.png');
  });
});

/** Watches the bus for Notify calls, from when it resolves (dbus-monitor is listening once it has
 * given up its own bus name); the returned function waits for one whose body says `text`. */
async function watchNotifications(): Promise<(text: string) => Promise<void>> {
  const monitor = spawn('dbus-monitor', ['--address', session.bus, "interface='org.freedesktop.Notifications',member='Notify'"], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  let seen = '';
  const waiting: Array<() => void> = [];
  monitor.stdout!.on('data', (chunk: Buffer) => {
    seen += chunk.toString('utf8');
    waiting.splice(0).forEach((wake) => wake());
  });
  const waitFor = async (found: () => boolean) => {
    while (!found()) await new Promise<void>((wake) => waiting.push(wake));
  };
  await waitFor(() => seen.includes('member=NameLost'));
  return async (text) => {
    await waitFor(() => seen.includes(`string "${text}"`));
    monitor.kill();
  };
}
