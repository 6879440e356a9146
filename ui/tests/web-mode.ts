// Starts the real `switchboard serve --demo` (web mode over the bundled sandbox) in an isolated
// home, and Debian's Chromium through playwright-core. Used by the browser tests.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const screenshots = join(root, 'target/screenshots');

export interface WebMode {
  url: string;
  sandbox: Promise<string>;
  stop(): Promise<void>;
}

export interface Options {
  /** `--demo --rate 0`: the sandbox's accounts (six inboxes, three public surfaces), no traffic but what a test makes. */
  demo: boolean;
  /** Made beforehand with this passphrase, and served without it: the UI must unlock it. */
  lockedWith?: string;
  /** Interchange records imported into the store before it is served. */
  importJsonl?: string;
  /**
   * A real OS keychain (gnome-keyring's Secret Service on a private D-Bus session), as a desktop
   * has: what joining a team keeps its token in.
   */
  keychain?: boolean;
}

/** A session bus configuration whose one activatable service is an unlocked gnome-keyring. */
function keyringSession(home: string): string {
  const dir = join(home, 'dbus');
  mkdirSync(join(dir, 'services'), { recursive: true });
  writeFileSync(
    join(dir, 'services/org.freedesktop.secrets.service'),
    '[D-BUS Service]\nName=org.freedesktop.secrets\nExec=/bin/sh -c "printf keyring-pw | exec gnome-keyring-daemon --foreground --unlock --components=secrets"\n',
  );
  const config = join(dir, 'session.conf');
  writeFileSync(
    config,
    `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN" "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig><type>session</type><keep_umask/><listen>unix:tmpdir=/tmp</listen><servicedir>${join(dir, 'services')}</servicedir>
<policy context="default"><allow send_destination="*" eavesdrop="true"/><allow eavesdrop="true"/><allow own="*"/></policy></busconfig>
`,
  );
  return config;
}

/** The bundled sandbox (`switchboard sandbox`) on a free port, without traffic of its own. */
export async function startSandbox(conversations = 6): Promise<{ url: string; stop(): Promise<void> }> {
  const bin = join(root, 'target/debug/switchboard');
  const child = spawn(bin, ['sandbox', '--port', '0', '--conversations', String(conversations), '--rate', '0'], { stdio: ['ignore', 'pipe', 'ignore'] });
  const exited = new Promise<number | null>((ok) => child.on('exit', ok));
  const first = await Promise.race([createInterface({ input: child.stdout! })[Symbol.asyncIterator]().next(), exited.then(() => null)]);
  if (!first || first.done) throw new Error('switchboard sandbox exited before printing its URL');
  return {
    url: first.value,
    async stop() {
      child.kill('SIGINT');
      await exited;
    },
  };
}

export interface Hub {
  url: string;
  /** A one-time enrolment code for a new person on the hub's team. */
  code(name: string): string;
  /** Runs `switchboard hub --database … ARGS` (an admin command) with `vars` in its environment. */
  admin(args: string[], vars?: Record<string, string>): string;
  stop(): Promise<void>;
}

/** The real `switchboard hub` on loopback (embedded database in a temporary folder). */
export async function startHub(): Promise<Hub> {
  const bin = join(root, 'target/debug/switchboard');
  const home = mkdtempSync(join(tmpdir(), 'switchboard-hub-'));
  const env = { PATH: process.env.PATH, HOME: home, XDG_DATA_HOME: join(home, 'data'), SWITCHBOARD_PASSPHRASE: 'hub-test' };
  const database = join(home, 'hub.db');
  const child: ChildProcess = spawn(bin, ['hub', '--database', database, '--listen', '127.0.0.1:0'], { env, stdio: ['ignore', 'pipe', 'ignore'] });
  const exited = new Promise<number | null>((ok) => child.on('exit', ok));
  const first = await Promise.race([createInterface({ input: child.stdout! })[Symbol.asyncIterator]().next(), exited.then(() => null)]);
  if (!first || first.done) throw new Error(`switchboard hub exited before printing its URL (is ${bin} built?)`);
  return {
    url: first.value,
    code: (name) => execFileSync(bin, ['hub', '--database', database, 'person', 'add', name, '--role', 'agent'], { env, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim(),
    admin: (args, vars = {}) => execFileSync(bin, ['hub', '--database', database, ...args], { env: { ...env, ...vars }, stdio: ['ignore', 'pipe', 'pipe'] }).toString(),
    async stop() {
      child.kill('SIGINT');
      await exited;
      rmSync(home, { recursive: true, force: true });
    },
  };
}

export async function startWebMode(options: Options = { demo: true }): Promise<WebMode> {
  const bin = join(root, 'target/debug/switchboard');
  const home = mkdtempSync(join(tmpdir(), 'switchboard-web-'));
  const store = join(home, 'data/s.db');
  const env = {
    PATH: process.env.PATH,
    HOME: home,
    XDG_STATE_HOME: join(home, 'state'),
    XDG_DATA_HOME: join(home, 'data'),
    SWITCHBOARD_AGENT: 'mina',
  };
  const passphrase = options.lockedWith ?? 'browser-test';
  if (options.lockedWith || options.importJsonl) {
    execFileSync(bin, ['--store', store, 'init'], { env: { ...env, SWITCHBOARD_PASSPHRASE: passphrase }, stdio: 'ignore' });
  }
  if (options.importJsonl) {
    const file = join(home, 'import.jsonl');
    writeFileSync(file, options.importJsonl);
    execFileSync(bin, ['--store', store, 'import', file], { env: { ...env, SWITCHBOARD_PASSPHRASE: passphrase }, stdio: 'ignore' });
  }
  const args = ['--store', store, 'serve', '--ui', join(root, 'ui/dist'), ...(options.demo ? ['--demo', '--rate', '0'] : [])];
  const served = options.keychain ? ['dbus-run-session', [`--config-file=${keyringSession(home)}`, '--', bin, ...args]] as const : [bin, args] as const;
  const child: ChildProcess = spawn(served[0], [...served[1]], {
    env: options.lockedWith ? env : { ...env, SWITCHBOARD_PASSPHRASE: passphrase },
    stdio: ['ignore', 'pipe', 'pipe'],
    // With a keychain, the app runs inside its own D-Bus session: stopped as one process group.
    detached: !!options.keychain,
  });
  const exited = new Promise<number | null>((ok) => child.on('exit', ok));
  const lines = (stream: NodeJS.ReadableStream) => createInterface({ input: stream })[Symbol.asyncIterator]();
  const out = lines(child.stdout!);
  const err = lines(child.stderr!);
  const first = await Promise.race([out.next(), exited.then(() => null)]);
  if (!first || first.done) throw new Error(`switchboard serve exited before printing its URL (is ${bin} built?)`);
  // The demo's sandbox is named on stderr once it runs (now, or when the UI starts the demo).
  const sandbox = (async () => {
    for (;;) {
      const line = await err.next();
      if (line.done) throw new Error('switchboard serve ended before starting the sandbox');
      const m = /demo: sandbox at (\S+)/.exec(line.value);
      if (m) return m[1];
    }
  })();
  sandbox.catch(() => {});
  if (options.demo) await sandbox;
  return {
    url: first.value,
    sandbox,
    async stop() {
      if (options.keychain && child.pid) process.kill(-child.pid, 'SIGINT');
      else child.kill('SIGINT');
      await exited;
      rmSync(home, { recursive: true, force: true });
    },
  };
}

export async function launchChromium(): Promise<Browser> {
  mkdirSync(screenshots, { recursive: true });
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
}

export interface App {
  web: WebMode;
  browser: Browser;
  page: Page;
  /** Uncaught page errors and console errors, in order. */
  errors: string[];
  /** Every dialog the page tried to open (each dismissed). */
  dialogs: string[];
  close(): Promise<void>;
}

/** Web mode as `options` say, Chromium, and a 1280×800 page open on the app. */
export async function openApp(options: Options = { demo: true }): Promise<App> {
  const web = await startWebMode(options);
  const browser = await launchChromium();
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 }, locale: 'en-US', acceptDownloads: true });
  const errors: string[] = [];
  const dialogs: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => void (m.type() === 'error' && errors.push(m.text())));
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  await page.goto(web.url);
  return {
    web,
    browser,
    page,
    errors,
    dialogs,
    async close() {
      await browser.close();
      await web.stop();
    },
  };
}
