// The warning on a node whose chosen provider has no key, before the run is queued,
// with how to set one. The server says only whether a key is set, never the key. The
// answer is asked for again whenever the page comes back into view or focus (after
// editing the config) and when a run starts (the config file is read at every run).
import { api } from "../../scripts/api.js";

const ROUTE = "/object-removal/providers";

// Nodes that always call ModelsLab; any other node is judged by its "provider" input.
const MODELSLAB_NODES = new Set(["TextObjectRemove", "FetchResult"]);

let report = null;

export async function refreshKeyReport(render) {
  try {
    const response = await api.fetchApi(ROUTE, { cache: "no-store" });
    report = response.ok ? await response.json() : null;
  } catch {
    report = null; // an older pack on the server, or it is restarting: warn about nothing
  }
  render();
}

// The warning for `node`, or null: a node with a "provider" input by its choice, the
// ModelsLab nodes always by the ModelsLab key.
export function keyWarning(node) {
  if (!report) return null;
  if (report.error) return `settings problem: ${report.error}`;
  const provider = node.widgets?.find((w) => w.name === "provider");
  const entry = provider
    ? report.mask_providers?.[provider.value]
    : MODELSLAB_NODES.has(node.comfyClass ?? node.type) ? report.modelslab : null;
  if (!entry?.needs_key || entry.has_key) return null;
  return `no key for ${entry.label}: ${entry.how}`;
}

export function watchKeys(render) {
  refreshKeyReport(render);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") refreshKeyReport(render);
  });
  window.addEventListener("focus", () => refreshKeyReport(render));
  api.addEventListener("execution_start", () => refreshKeyReport(render));
}
