// The main flow in the real desktop app (WebKitGTK) under Xvfb, driven through tauri-driver:
// the demo syncs, a thread opens, a reply reaches the sandbox.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { PAYLOADS, payloadJsonl } from './payloads';
import { CTRL_ENTER, WebDriver } from './webdriver';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const screenshots = join(root, 'target/screenshots');
const app = join(root, 'target/debug/switchboard-desktop');

let driverProcess: ChildProcess;
let driver: WebDriver;
let home: string;
let sandbox: Promise<string>;

beforeAll(async () => {
  mkdirSync(screenshots, { recursive: true });
  home = mkdtempSync(join(tmpdir(), 'switchboard-desktop-'));
  const port = 4444 + Math.floor(Math.random() * 1000);
  // The store holds the hostile payloads before the app first opens it.
  const cli = join(root, 'target/debug/switchboard');
  const store = join(home, 'data/s.db');
  const env = { PATH: process.env.PATH, HOME: home, SWITCHBOARD_PASSPHRASE: 'desktop-test' };
  execFileSync(cli, ['--store', store, 'init'], { env, stdio: 'ignore' });
  writeFileSync(join(home, 'payloads.jsonl'), payloadJsonl());
  execFileSync(cli, ['--store', store, 'import', join(home, 'payloads.jsonl')], { env, stdio: 'ignore' });
  driverProcess = spawn(
    'dbus-run-session',
    ['--', 'xvfb-run', '-a', '-s', '-screen 0 1280x800x24', 'tauri-driver', '--port', String(port), '--native-port', String(port + 1000)],
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
});
