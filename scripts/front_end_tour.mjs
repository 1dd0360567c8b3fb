// A tour of the pack in a running ComfyUI's real front end (headless Chromium), with
// a screenshot at each stop: node search for "object removal", "inpaint" and "erase";
// each node's help page; the no-key warning; a Text Object Remove run (eta counting
// down, the handle of this run only), a second run, and Cancel. Prints one line per
// check and exits 1 if any failed. Developer check (needs Chromium and playwright-core),
// run against a ComfyUI whose providers are the provider emulator (ModelsLab jobs of
// ~12 s: `--job-seconds 12 --eta 12`) and which reads its keys from the config file
// OBJECT_REMOVAL_CONFIG names: the tour writes it, first with the AILabTools key only
// (to see the warning), then with both. TOUR_KEY is the emulator's key.
//
//   cd /some/folder && npm install playwright-core
//   OBJECT_REMOVAL_CONFIG=... TOUR_KEY=test-key \
//     node /path/to/pack/scripts/front_end_tour.mjs http://127.0.0.1:8188 OUT_DIR
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";

const { chromium } = createRequire(`${process.cwd()}/`)("playwright-core");
const [url, outDir = "front_end_tour"] = process.argv.slice(2);
if (!url) {
  console.error("usage: node front_end_tour.mjs COMFY_URL [OUT_DIR]");
  process.exit(2);
}
mkdirSync(outDir, { recursive: true });
const writeKeys = (sections) => {
  const key = process.env.TOUR_KEY ?? "test-key";
  writeFileSync(process.env.OBJECT_REMOVAL_CONFIG,
    sections.map((section) => `[${section}]\napi_key = ${key}\n`).join(""));
  chmodSync(process.env.OBJECT_REMOVAL_CONFIG, 0o600);
};
writeKeys(["ailab"]);
const NODES = { MaskObjectRemove: "Mask Object Remove", TextObjectRemove: "Text Object Remove",
  FetchResult: "Fetch Result (ModelsLab)" };
const PACK = "/extensions/comfyui-object-removal";
let failures = 0;
const check = (ok, what) => {
  console.log(`${ok ? "ok  " : "FAIL"} ${what}`);
  if (!ok) failures += 1;
};

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
const shot = (name) => page.screenshot({ path: `${outDir}/${name}.png` });
await page.goto(url);
await page.waitForFunction(() => window.app?.graph && document.querySelector("canvas"), null,
  { timeout: 60000 });
await page.waitForTimeout(3000);
const closeDialogs = async () => {
  for (let i = 0; i < 3; i += 1) {
    await page.keyboard.press("Escape");
    await page.waitForTimeout(200);
  }
};
await closeDialogs();
const version = await page.evaluate(() => window.__COMFYUI_FRONTEND_VERSION__ ?? "?");
console.log(`front end ${version}`);

// --- search ---------------------------------------------------------------------------
for (const query of ["object removal", "inpaint", "erase"]) {
  await page.evaluate(() => { window.app.graph.clear(); });
  await page.mouse.dblclick(900, 700);
  await page.waitForTimeout(800);
  await page.keyboard.type(query);
  await page.waitForTimeout(1500);
  const found = await page.evaluate(() => {
    const input = document.activeElement;
    const list = document.getElementById(input?.getAttribute("aria-controls")) ??
      document.querySelector("[role=listbox]");
    return [...(list?.querySelectorAll("[role=option], li") ?? [])].map((o) => o.innerText);
  });
  await shot(`search-${query.replace(/ /g, "-")}`);
  for (const display of Object.values(NODES)) {
    check(found.some((text) => text.includes(display)), `search "${query}" finds ${display}`);
  }
  await closeDialogs();
}

// --- help pages: select the node, press its Node Info button ----------------------------
for (const [name, display] of Object.entries(NODES)) {
  const title = await page.evaluate((nodeName) => {
    const { app } = window;
    app.graph.clear();
    const node = LiteGraph.createNode(nodeName);
    node.pos = [400, 300];
    app.graph.add(node);
    app.canvas.ds.offset = [0, 0];
    app.canvas.ds.scale = 1;
    app.canvas.setDirty(true, true);
    const rect = app.canvas.canvas.getBoundingClientRect();
    const [x, y] = app.canvas.ds.convertOffsetToCanvas([node.pos[0] + 60, node.pos[1] - 15]);
    return [rect.left + x, rect.top + y];
  }, name);
  await page.waitForTimeout(300);
  await page.mouse.click(title[0], title[1]);
  await page.waitForTimeout(800);
  await page.click('[data-testid="info-button"], button[aria-label="Node Info"]');
  await page.waitForTimeout(2500);
  const shown = await page.evaluate(() => document.body.innerText);
  await shot(`help-${name}`);
  check(shown.includes("Troubleshooting") && shown.includes("what you see"),
    `help page of ${display} opens from its Node Info button, with troubleshooting`);
  await page.click('[data-testid="info-button"], button[aria-label="Node Info"]')
    .catch(() => {});
  await closeDialogs();
}

// --- the no-key warning, before queueing ----------------------------------------------
const warning = await page.evaluate(async (pack) => {
  const { keyWarning } = await import(`${pack}/key_warning.js`);
  const { app } = window;
  app.graph.clear();
  const mask = LiteGraph.createNode("MaskObjectRemove");
  mask.pos = [120, 120];
  app.graph.add(mask);
  const text = LiteGraph.createNode("TextObjectRemove");
  text.pos = [620, 120];
  app.graph.add(text);
  const ailab = keyWarning(mask);
  mask.widgets.find((w) => w.name === "provider").value = "modelslab";
  app.graph.setDirtyCanvas(true, true);
  return { ailab, modelslab: keyWarning(mask), text: keyWarning(text) };
}, PACK);
await page.waitForTimeout(800);
await shot("no-key-warning");
check(warning.ailab === null, "no warning for ailab, whose key is set");
check(/no key for ModelsLab .*MODELSLAB_API_KEY/.test(warning.modelslab ?? ""),
  `MaskObjectRemove on modelslab warns: ${warning.modelslab}`);
check(/MODELSLAB_API_KEY/.test(warning.text ?? ""), "Text Object Remove warns too");

// --- a run's live state ---------------------------------------------------------------
await page.evaluate(() => {
  const { app } = window;
  app.graph.clear();
  const load = LiteGraph.createNode("LoadImage");
  load.pos = [60, 120];
  app.graph.add(load);
  const text = LiteGraph.createNode("TextObjectRemove");
  text.pos = [460, 120];
  app.graph.add(text);
  // A name of its own, so no job remembered from an earlier tour is resumed.
  text.widgets.find((w) => w.name === "object_name").value = `sofa ${Date.now()}`;
  load.connect(0, text, 0);
  const save = LiteGraph.createNode("PreviewImage");
  save.pos = [900, 120];
  app.graph.add(save);
  text.connect(0, save, 0);
  window.tourNode = text;
});
const state = () => page.evaluate(() => {
  const node = window.tourNode;
  const s = node.objectRemoval;
  const menu = [];
  node.getExtraMenuOptions?.(window.app.canvas, menu);
  const offersCopy = menu.some((o) => o?.content?.startsWith("Copy job handle"));
  return s ? { line: s.line(), state: s.state, job: s.job, promptId: s.promptId, offersCopy }
    : null;
});
const waitFor = async (predicate, seconds) => {
  for (let i = 0; i < seconds * 10; i += 1) {
    const now = await state();
    if (now && predicate(now)) return now;
    await page.waitForTimeout(100);
  }
  return state();
};
const queue = () => page.evaluate(() => window.app.queuePrompt(0));
writeKeys(["ailab", "modelslab"]); // read at every run: no restart
await queue();
const processing = await waitFor((s) => /processing/.test(s.line), 20);
await shot("run-processing");
await page.waitForTimeout(2000);
const later = await state();
await shot("run-processing-2s-later");
const eta = (line) => Number((/eta (\d+) s/.exec(line) ?? [])[1]);
check(/ModelsLab: job \S+ processing, eta \d+ s/.test(processing.line),
  `while processing: "${processing.line}"`);
check(eta(later.line) < eta(processing.line), `the eta counts down: "${later.line}"`);
check(processing.job?.startsWith("modelslab:") && processing.offersCopy,
  `"Copy job handle" offers this run's job: ${processing.job}`);
const done = await waitFor((s) => s.state !== "working", 40);
await shot("run-done");
check(done.state === "paid" || done.state === "free", `after the run: "${done.line}"`);
check(done.job === processing.job, "after the run the handle is still this run's");
const stillWarned = await page.evaluate(async (pack) => {
  const { keyWarning } = await import(`${pack}/key_warning.js`);
  return keyWarning(window.tourNode);
}, PACK);
check(stillWarned === null, "with the key set, the warning is gone once a run starts");

// A second run (another object): nothing of the first is offered while it starts.
await page.evaluate(() => {
  window.tourNode.widgets.find((w) => w.name === "object_name").value = `lamp ${Date.now()}`;
});
await queue();
const starting = await waitFor((s) => s.promptId !== done.promptId, 20);
check(starting.job === null && !starting.offersCopy,
  `a new run starts without the old handle, and no "Copy job handle": "${starting.line}"`);
const second = await waitFor((s) => /processing/.test(s.line), 20);
check(second.job && second.job !== done.job, `the second run's own handle: ${second.job}`);
await page.evaluate(() => window.comfyAPI?.api?.api?.interrupt?.() ??
  fetch("/api/interrupt", { method: "POST" }));
const cancelled = await waitFor((s) => s.state === "cancelled", 10);
await page.waitForTimeout(500);
await shot("run-cancelled");
check(cancelled.state === "cancelled" && /cancelled/.test(cancelled.line),
  `after Cancel: "${cancelled.line}"`);
check(cancelled.job === second.job, "after Cancel the job's handle is kept to collect it");

await browser.close();
console.log(failures ? `${failures} check(s) failed` : "all checks passed");
process.exit(failures ? 1 : 0);
