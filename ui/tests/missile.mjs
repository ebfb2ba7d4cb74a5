// The missile early-warning overlay in a real browser: the operator signs in to a centre
// with [missile] and sees the threats panel (a missile track with its time to impact and
// threatened cities) and, on the map, the radar fans, the track and its impact ellipse
// (counted by the layer as it draws them, and the canvas is not blank where the ellipse is).
// Screenshot: $VIGIL_OUT/ui-missile.png. Prints one JSON line {"ok":true,...}.

import path from 'node:path';
import { URL_BASE, env, outDir, launch, newPage, login, frames, fail, succeed, deadline, step } from './lib.mjs';

deadline(Number(env('VIGIL_MISSILE_TIMEOUT_S', '90')), 'missile');
const base = URL_BASE();
const out = outDir();
const browser = await launch();
const { page, errors } = await newPage(browser);
await page.goto(`${base}/`);
step('sign in');
await login(page, env('VIGIL_OPERATOR'), env('VIGIL_OPERATOR_PASSWORD'));

step('threats panel');
await page
  .waitForFunction(() => {
    const t = document.querySelector('#missile-threats .missile-threat');
    return t && /impact in/.test(t.textContent) && /threatened:/.test(t.textContent);
  }, null, { timeout: 60000 })
  .catch(() => fail('no missile threat with an impact in the panel'));
const panel = await page.textContent('#missile-panel');

step('map');
await page.evaluate(() => window.vigilMissile?.fit());
await frames(page, 3);
await page
  .waitForFunction(() => {
    const d = JSON.parse(document.querySelector('#map')?.dataset.missile ?? '{}');
    return d.fans >= 2 && d.ellipses >= 1 && d.tracks >= 1;
  }, null, { timeout: 20000 })
  .catch(() => fail('the map did not draw the radar fans, a track and an ellipse'));
const drawn = JSON.parse(await page.evaluate(() => document.querySelector('#map').dataset.missile));
// The canvas holds pixels of the overlay's colours (own tracks and ellipses are yellow).
const yellow = await page.evaluate(() => {
  const c = document.querySelector('#map');
  const ctx = c.getContext('2d');
  const { data } = ctx.getImageData(0, 0, c.width, c.height);
  let n = 0;
  for (let i = 0; i < data.length; i += 4) {
    if (data[i] > 200 && data[i + 1] > 170 && data[i + 2] < 120) n++;
  }
  return n;
});
if (yellow < 50) await fail(`only ${yellow} overlay-coloured pixels on the canvas`);
await page.screenshot({ path: path.join(out, 'ui-missile.png') });
if (errors.length) await fail(`page errors: ${errors.join('; ')}`);
await succeed({ drawn, yellow_pixels: yellow, panel: panel.slice(0, 300) });
