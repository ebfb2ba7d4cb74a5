// The Station view in a real browser: the operator signs in, opens the Station view from the
// header, sees the plan with people on it and the carrier's alarm, acknowledges the alarm,
// and the screenshot is saved as ui-station.png.
//
// Environment: VIGIL_URL, VIGIL_OPERATOR, VIGIL_OPERATOR_PASSWORD, VIGIL_OUT (see lib.mjs).

import path from 'node:path';
import { URL_BASE, env, outDir, launch, newPage, login, frames, deadline, step, fail, succeed } from './lib.mjs';

deadline(50, 'the station scenario');
const base = URL_BASE();
const browser = await launch();
const { page, errors } = await newPage(browser);

step('sign in as the operator');
await page.goto(`${base}/`);
await login(page, env('VIGIL_OPERATOR'), env('VIGIL_OPERATOR_PASSWORD'));

step('open the Station view');
const toggle = page.locator('#station-toggle');
await toggle.waitFor({ state: 'visible', timeout: 15000 });
await toggle.click();
await page.locator('#station-view').waitFor({ state: 'visible', timeout: 5000 });

step('people on the plan');
await page.waitForFunction(() => Number(document.querySelector('#station-view')?.dataset.people ?? 0) > 5, null, { timeout: 15000 });
const people = Number(await page.getAttribute('#station-view', 'data-people'));

step('the carrier is alarmed');
const card = page.locator('.st-alarm[data-state="alarm"]').first();
await card.waitFor({ state: 'visible', timeout: 30000 });
const alarmId = await card.getAttribute('data-id');
const zone = (await card.locator('.row1').textContent()).trim();

step(`acknowledge alarm ${alarmId}`);
await card.locator('button[data-action="acknowledge"]').click();
const acked = page.locator(`.st-alarm[data-id="${alarmId}"][data-state="acknowledged"]`);
await acked.waitFor({ state: 'visible', timeout: 10000 });
// The next action the workflow offers is the dispatch.
await acked.locator('button[data-action="dispatch_team"]').waitFor({ state: 'visible', timeout: 5000 });

// The canvas has drawn something: not a blank background.
await frames(page, 3);
const painted = await page.evaluate(() => {
  const c = document.querySelector('#station-view canvas');
  const g = c.getContext('2d');
  const d = g.getImageData(0, 0, c.width, c.height).data;
  let n = 0;
  for (let i = 0; i < d.length; i += 4 * 97) if (d[i] + d[i + 1] + d[i + 2] > 120) n++;
  return n;
});
if (painted < 20) await fail(`the station canvas looks empty (${painted} bright samples)`);

const shot = path.join(outDir(), 'ui-station.png');
await page.screenshot({ path: shot });
step(`screenshot ${shot}`);
if (errors.length) await fail(`page errors: ${errors.join('; ')}`);
await succeed({ people, alarm: Number(alarmId), zone, painted, screenshot: shot });
