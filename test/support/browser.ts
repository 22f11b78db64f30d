import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { startTestApp, type TestApp, type TestAppOptions } from './testApp.js';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** True when browser tests can run; under CI=true a missing Chromium is a failure, not a skip. */
export function browserAvailable(): boolean {
  if (existsSync(CHROMIUM_PATH)) return true;
  if (process.env.CI === 'true') throw new Error(`Chromium introuvable (${CHROMIUM_PATH}) : les tests navigateur ne peuvent pas être ignorés en CI`);
  console.warn(`  (tests navigateur ignorés : Chromium introuvable à ${CHROMIUM_PATH})`);
  return false;
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[]; failureSummary?: string }[];
}

/** Runs axe-core in the page (WCAG 2.1 A and AA rules). Evaluated through DevTools, so the page's CSP stays on. */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(axeSource);
  return page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (ctx: Document, opts: unknown) => Promise<{ violations: AxeViolation[] }> } }).axe;
    const result = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target, failureSummary: n.failureSummary })) }));
  });
}

export function describeViolations(violations: AxeViolation[]): string {
  return violations.map((v) => `${v.id} (${v.impact}) : ${v.help}\n    ${v.nodes.map((n) => n.target.join(' ')).join('\n    ')}`).join('\n');
}

/** Fails with axe's findings, named after the page, when the page has any WCAG 2.1 AA violation. */
export async function expectAccessible(page: Page, label: string): Promise<void> {
  await page.waitForLoadState('load');
  const violations = await axeViolations(page);
  expect(violations, `${label} :\n${describeViolations(violations)}`).to.deep.equal([]);
}

/**
 * Submits a form from the keyboard (focus, then Enter) and waits for the page that answers:
 * without waiting for that load, a check could run against the page being left.
 */
export async function submitWithKeyboard(page: Page, button: Locator): Promise<void> {
  await button.focus();
  await Promise.all([page.waitForEvent('load'), page.keyboard.press('Enter')]);
}

/**
 * Waits for the element to show, then passes: after a click that navigates, a bare
 * isVisible() may still look at the page being left and fail at random.
 */
export async function expectVisible(target: Locator, timeout = 15_000): Promise<void> {
  try {
    await target.waitFor({ state: 'visible', timeout });
  } catch {
    expect.fail(`élément attendu et jamais visible : ${String(target)}`);
  }
}

/**
 * A new page in a context of its own (own cookies; more tabs can open in it), logged in as a
 * demo person from the development login page.
 */
export async function loginPage(browser: Browser, baseUrl: string, name: RegExp | string): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await page.goto(`${baseUrl}/auth/dev`);
  await page.getByRole('button', { name: typeof name === 'string' ? `Se connecter en tant que ${name}` : name }).click();
  await page.waitForURL(`${baseUrl}/`);
  return page;
}

/**
 * A Maillon app and a Chromium for a browser-test suite: started in `before` (skipped, with a
 * message, when Chromium is missing outside CI), closed in `after`. Further set-up goes in a
 * `before` of the suite's own, which runs after this one.
 */
export function browserApp(options: TestAppOptions): { readonly t: TestApp; readonly browser: Browser; login(name: RegExp | string): Promise<Page> } {
  let t: TestApp | undefined;
  let browser: Browser | undefined;
  before(async function () {
    if (!browserAvailable()) return this.skip();
    t = await startTestApp(options);
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await t?.close();
  });
  return {
    get t() { return t!; },
    get browser() { return browser!; },
    login: (name) => loginPage(browser!, t!.url, name),
  };
}
