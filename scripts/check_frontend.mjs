// Loads every example workflow into a running ComfyUI's real front end (headless
// Chromium) and reports what the front end made of it: node types it did not
// know, widget values it dropped, whether the pack's js/ extension registered.
// Optional developer check, not part of CI (it needs Chromium and playwright-core):
//
//   cd /some/folder && npm install playwright-core
//   node /path/to/pack/scripts/check_frontend.mjs http://127.0.0.1:8188 /path/to/pack/example_workflows/*.json
//
// Exit code 0 when every workflow loaded cleanly, 1 otherwise.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

// Resolved from the working folder, where playwright-core was installed.
const { chromium } = createRequire(`${process.cwd()}/`)("playwright-core");

const [url, ...files] = process.argv.slice(2);
if (!url || files.length === 0) {
  console.error("usage: node check_frontend.mjs COMFY_URL WORKFLOW.json ...");
  process.exit(2);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"],
});
const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
const consoleErrors = [];
page.on("console", (m) => { if (m.type() === "error") consoleErrors.push(m.text()); });
page.on("pageerror", (e) => consoleErrors.push(String(e)));

await page.goto(url, { waitUntil: "networkidle" });
await page.waitForFunction(() => window.app?.graph && window.LiteGraph, null, { timeout: 60000 });
await page.keyboard.press("Escape"); // the first-run template browser, if it opened

let failures = 0;
for (const file of files) {
  const workflow = JSON.parse(readFileSync(file, "utf8"));
  const report = await page.evaluate(async (wf) => {
    const app = window.app;
    await app.loadGraphData(structuredClone(wf));
    const loaded = app.graph._nodes ?? app.graph.nodes;
    const unknown = loaded.filter((n) => !window.LiteGraph.registered_node_types[n.type])
      .map((n) => n.type);
    const widgetMismatches = [];
    for (const original of wf.nodes) {
      const node = app.graph.getNodeById(original.id);
      if (!node) { widgetMismatches.push(`${original.type} #${original.id} missing`); continue; }
      const values = (node.widgets ?? []).filter((w) => w.serialize !== false
        && w.options?.serialize !== false).map((w) => w.value);
      const expected = (original.widgets_values ?? []).filter((v) => v !== "image");
      for (const v of expected) {
        if (!values.some((x) => JSON.stringify(x) === JSON.stringify(v))) {
          widgetMismatches.push(`${original.type} #${original.id}: value ${JSON.stringify(v)} lost`);
        }
      }
    }
    const extensions = (app.extensions ?? []).map((e) => e.name);
    return {
      nodes: loaded.length,
      unknown,
      widgetMismatches,
      extension: extensions.includes("comfyui-object-removal.status"),
    };
  }, workflow);
  const ok = report.unknown.length === 0 && report.widgetMismatches.length === 0 && report.extension;
  if (!ok) failures += 1;
  console.log(`${ok ? "ok  " : "FAIL"} ${file}: ${report.nodes} nodes, unknown types ` +
              `${JSON.stringify(report.unknown)}, widget problems ` +
              `${JSON.stringify(report.widgetMismatches)}, extension registered ${report.extension}`);
  if (process.env.SCREENSHOT_DIR) {
    await page.keyboard.press("Escape");
    await page.evaluate(() => window.app.canvas?.setDirty?.(true, true));
    const name = file.split("/").pop().replace(".json", ".png");
    await page.screenshot({ path: `${process.env.SCREENSHOT_DIR}/${name}` });
  }
}
const ours = consoleErrors.filter((e) => /object.removal|object_removal/i.test(e));
console.log(`console errors mentioning the pack: ${ours.length}`);
for (const e of ours) console.log(`  ${e}`);
await browser.close();
process.exit(failures || ours.length ? 1 : 0);
