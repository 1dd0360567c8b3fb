// Marks a node whose chosen provider has no key, before the run is queued, with how to
// set one. The server says only whether a key is set, never the key. The answer is
// asked for again whenever the page comes back into view (after editing the config)
// and when a run starts (the config file is read at every run).
import { api } from "../../scripts/api.js";

const ROUTE = "/object-removal/providers";

let report = null;

export async function refreshKeyReport(redraw) {
  try {
    const response = await api.fetchApi(ROUTE, { cache: "no-store" });
    report = response.ok ? await response.json() : null;
  } catch {
    report = null; // an older pack on the server, or it is restarting: warn about nothing
  }
  redraw();
}

// The warning for `node`, or null: MaskObjectRemove by its provider choice, the
// ModelsLab nodes always by the ModelsLab key.
export function keyWarning(node) {
  if (!report) return null;
  if (report.error) return `settings problem: ${report.error}`;
  const type = node.comfyClass ?? node.type;
  let entry = report.modelslab;
  if (type === "MaskObjectRemove") {
    const provider = node.widgets?.find((w) => w.name === "provider")?.value;
    entry = report.mask_providers?.[provider];
  }
  if (!entry?.needs_key || entry.has_key) return null;
  return `no key for ${entry.label}: ${entry.how}`;
}

export function watchKeys(redraw) {
  refreshKeyReport(redraw);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") refreshKeyReport(redraw);
  });
  api.addEventListener("execution_start", () => refreshKeyReport(redraw));
}
