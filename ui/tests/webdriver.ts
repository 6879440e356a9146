// A W3C WebDriver client small enough to read: the desktop tests drive the real app through
// tauri-driver (WebKitWebDriver underneath) with nothing more than fetch.

export class WebDriver {
  constructor(
    private base: string,
    public session: string,
  ) {}

  /** Opens a session on the app. tauri-driver says nothing when it is ready, and until its
   * WebKitWebDriver listens it refuses or drops the request: either is tried again, for up to
   * 20 s. */
  static async start(base: string, application: string): Promise<WebDriver> {
    const body = { capabilities: { alwaysMatch: { browserName: 'wry', 'tauri:options': { application } } } };
    let res;
    for (let wait = 50; ; wait *= 2) {
      try {
        res = await post(`${base}/session`, body);
        break;
      } catch (e) {
        const code = (e as { cause?: { code?: string } }).cause?.code;
        const notReady = code === 'ECONNREFUSED' || code === 'UND_ERR_SOCKET';
        if (!notReady || wait > 10_000) throw e;
        await new Promise((ok) => setTimeout(ok, wait));
      }
    }
    const driver = new WebDriver(base, res.value.sessionId);
    // Finding an element waits for it to appear, up to this long.
    await driver.cmd('timeouts', { implicit: 30_000 });
    return driver;
  }

  async cmd(path: string, body?: unknown): Promise<any> {
    const url = `${this.base}/session/${this.session}/${path}`;
    return (body === undefined ? get(url) : post(url, body)).then((r) => r.value);
  }

  async find(css: string): Promise<Element> {
    const found = await this.cmd('element', { using: 'css selector', value: css });
    return new Element(this, Object.values(found)[0] as string);
  }

  async findXPath(xpath: string): Promise<Element> {
    const found = await this.cmd('element', { using: 'xpath', value: xpath });
    return new Element(this, Object.values(found)[0] as string);
  }

  async findAll(css: string): Promise<Element[]> {
    const found: object[] = await this.cmd('elements', { using: 'css selector', value: css });
    return found.map((f) => new Element(this, Object.values(f)[0] as string));
  }

  async run<T>(script: string, ...args: unknown[]): Promise<T> {
    return this.cmd('execute/sync', { script, args });
  }

  async screenshot(): Promise<Buffer> {
    return Buffer.from(await this.cmd('screenshot'), 'base64');
  }

  async quit() {
    await fetch(`${this.base}/session/${this.session}`, { method: 'DELETE' });
  }
}

export class Element {
  constructor(
    private driver: WebDriver,
    public id: string,
  ) {}
  click() {
    return this.driver.cmd(`element/${this.id}/click`, {});
  }
  type(text: string) {
    return this.driver.cmd(`element/${this.id}/value`, { text });
  }
  text(): Promise<string> {
    return this.driver.cmd(`element/${this.id}/text`);
  }
  attribute(name: string): Promise<string | null> {
    return this.driver.cmd(`element/${this.id}/attribute/${name}`);
  }
}

/** Control+Enter, as WebDriver spells keys: modifiers stay down until the NULL key. */
export const CTRL_ENTER = '\uE009\uE007\uE000';

async function post(url: string, body: unknown) {
  return answer(await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) }));
}

async function get(url: string) {
  return answer(await fetch(url));
}

async function answer(res: Response) {
  const body = await res.json();
  if (!res.ok) throw new Error(`WebDriver: ${body.value?.error}: ${body.value?.message}`);
  return body;
}
