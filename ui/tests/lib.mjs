// Shared helpers of the browser scripts: environment, launching the machine's Chromium
// through playwright-core (no browser download), signing in, and the one-line JSON result.
//
// Environment (set by the Rust test that starts the server):
//   VIGIL_URL                  http://127.0.0.1:PORT
//   VIGIL_OPERATOR / VIGIL_OPERATOR_PASSWORD, VIGIL_SUPERVISOR / VIGIL_SUPERVISOR_PASSWORD
//   VIGIL_OUT                  directory for screenshots (default ui/test-output)
//   VIGIL_CHROMIUM             browser binary (default /usr/bin/chromium)

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));

export function env(name, fallback) {
  const v = process.env[name];
  if (v === undefined || v === '') {
    if (fallback === undefined) fail(`environment variable ${name} is not set`);
    return fallback;
  }
  return v;
}

export const URL_BASE = () => env('VIGIL_URL').replace(/\/+$/, '');

export function outDir() {
  const d = env('VIGIL_OUT', path.join(here, '..', 'test-output'));
  fs.mkdirSync(d, { recursive: true });
  return d;
}

let cleanup = [];

/** Prints the reason and exits non-zero (after closing the browser). */
export async function fail(message) {
  console.error(`FAIL: ${message}`);
  console.log(JSON.stringify({ ok: false, error: String(message) }));
  for (const f of cleanup.splice(0)) {
    try {
      await f();
    } catch {
      // closing anyway
    }
  }
  process.exit(1);
}

/** Prints the final result line and exits 0. */
export async function succeed(figures) {
  for (const f of cleanup.splice(0)) {
    try {
      await f();
    } catch {
      // closing anyway
    }
  }
  console.log(JSON.stringify({ ok: true, ...figures }));
  process.exit(0);
}

/** Fails the run if it is still going after `seconds`. */
export function deadline(seconds, what) {
  const t = setTimeout(() => fail(`${what}: gave up after ${seconds} s`), seconds * 1000);
  t.unref();
}

export function step(text) {
  console.error(`[${new Date().toISOString().slice(11, 19)}] ${text}`);
}

/**
 * Launches the machine's Chromium, headless, with a fresh profile. `--headless=new` is passed
 * explicitly (and Playwright's own headless switch is off) so the same mode runs everywhere;
 * Playwright itself gives every launch a new temporary user-data-dir, removed on close.
 */
export async function launch() {
  const executablePath = env('VIGIL_CHROMIUM', '/usr/bin/chromium');
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-ui-test-'));
  const browser = await chromium.launch({
    executablePath,
    headless: false,
    args: [
      '--headless=new',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      // Keep rAF running at full rate in a background/headless page.
      '--disable-background-timer-throttling',
      '--disable-renderer-backgrounding',
      '--disable-backgrounding-occluded-windows',
    ],
    env: { ...process.env, HOME: profile },
  });
  cleanup.push(async () => {
    await browser.close();
    fs.rmSync(profile, { recursive: true, force: true });
  });
  return browser;
}

/** A fresh context and page; page errors (uncaught exceptions) are collected. */
export async function newPage(browser, viewport = { width: 1600, height: 1000 }) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e?.message ?? e)));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/Failed to load resource|WebSocket/.test(m.text())) errors.push(`console: ${m.text()}`);
  });
  return { context, page, errors };
}

/** Signs in through the form and waits for the live connection. */
export async function login(page, user, password) {
  await page.locator('#login').waitFor({ state: 'visible', timeout: 15000 });
  await page.fill('#login-user', user);
  await page.fill('#login-password', password);
  await page.click('#login-submit');
  // Either the form goes away or it says why not.
  const refused = await Promise.race([
    page.locator('#login-view').waitFor({ state: 'hidden', timeout: 15000 }).then(() => null),
    page.locator('#login-error').waitFor({ state: 'visible', timeout: 15000 }).then(() => page.textContent('#login-error')),
  ]);
  if (refused !== null) throw new Error(`sign-in of ${user} refused: ${refused.trim()}`);
  await page.waitForFunction(() => document.querySelector('#conn')?.dataset.state === 'up', null, { timeout: 20000 });
}

/** Resolves after `n` animation frames in the page (a render has happened). */
export function frames(page, n = 2) {
  return page.evaluate((k) => new Promise((res) => {
    const f = () => (--k <= 0 ? res() : requestAnimationFrame(f));
    requestAnimationFrame(f);
  }), n);
}

export function percentile(sorted, p) {
  if (!sorted.length) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

export const round2 = (x) => Math.round(x * 100) / 100;
