// Frame time of the operator UI under load: signs in, waits for VIGIL_PERF_TRACKS tracks
// (default 5000), fits the view so all of them are in view, then records the intervals
// between requestAnimationFrame callbacks for VIGIL_PERF_SECONDS (default 15) while the
// server keeps sending deltas. Fails when the 95th percentile reaches 50 ms.
// Prints one JSON line {"ok":true,"frames":…,"mean_ms":…,"p50_ms":…,"p95_ms":…,…}.

import path from 'node:path';
import { URL_BASE, env, outDir, launch, newPage, login, frames, fail, succeed, deadline, step, percentile, round2 } from './lib.mjs';

const want = Number(env('VIGIL_PERF_TRACKS', '5000'));
const seconds = Number(env('VIGIL_PERF_SECONDS', '15'));
const limitMs = 50;
deadline(Number(env('VIGIL_PERF_TIMEOUT_S', String(seconds + 240))), 'perf');
const base = URL_BASE();
const out = outDir();

const browser = await launch();
const { page, errors } = await newPage(browser);
await page.goto(`${base}/`);
step('sign in');
await login(page, env('VIGIL_OPERATOR'), env('VIGIL_OPERATOR_PASSWORD')).catch((e) => fail(`sign-in: ${e.message}`));

step(`wait for ${want} tracks`);
await page.waitForFunction((n) => window.vigilTest.trackCount() >= n, want, { timeout: 120000, polling: 500 })
  .catch(async () => fail(`only ${await page.evaluate(() => window.vigilTest.trackCount())} tracks after 120 s, wanted ${want}`));

// Every track in view: the worst case for drawing.
await page.evaluate(() => window.vigilTest.fitTracks());
await page.waitForTimeout(1500); // the basemap is redrawn once the view has settled
await frames(page, 5);

step(`measure ${seconds} s`);
const r = await page.evaluate(async (secs) => {
  const T = window.vigilTest;
  T.resetStats();
  const s0 = T.stats();
  const intervals = [];
  let last = null;
  const t0 = performance.now();
  await new Promise((resolve) => {
    const tick = (t) => {
      if (last !== null) intervals.push(t - last);
      last = t;
      if (t - t0 < secs * 1000) requestAnimationFrame(tick);
      else resolve();
    };
    requestAnimationFrame(tick);
  });
  const s1 = T.stats();
  return {
    intervals,
    deltas: s1.deltas - s0.deltas,
    messages: s1.messages - s0.messages,
    renders: s1.renders - s0.renders,
    tracks: s1.tracks,
    inView: s1.inView,
    lastRenderMs: s1.lastRenderMs,
    maxRenderMs: s1.maxRenderMs,
    maxMessageMs: s1.maxMessageMs,
  };
}, seconds);

const sorted = r.intervals.slice().sort((a, b) => a - b);
const mean = sorted.reduce((a, b) => a + b, 0) / Math.max(1, sorted.length);
const figures = {
  tracks: r.tracks,
  in_view: r.inView,
  seconds,
  frames: sorted.length,
  mean_ms: round2(mean),
  p50_ms: round2(percentile(sorted, 50)),
  p95_ms: round2(percentile(sorted, 95)),
  p99_ms: round2(percentile(sorted, 99)),
  max_ms: round2(sorted[sorted.length - 1] ?? NaN),
  track_deltas: r.deltas,
  track_messages: r.messages,
  renders: r.renders,
  render_last_ms: round2(r.lastRenderMs),
  render_max_ms: round2(r.maxRenderMs),
  message_max_ms: round2(r.maxMessageMs),
};
console.error(JSON.stringify(figures));
await page.screenshot({ path: path.join(out, 'ui-perf.png') });
figures.screenshot = path.join(out, 'ui-perf.png');

if (!sorted.length) await fail('no animation frame was recorded');
if (r.deltas === 0) await fail('no track delta arrived during the measurement');
if (errors.length) await fail(`errors in the page: ${errors.slice(0, 5).join(' | ')}`);
if (!(figures.p95_ms < limitMs)) await fail(`p95 frame interval ${figures.p95_ms} ms >= ${limitMs} ms (${JSON.stringify(figures)})`);
await succeed(figures);
