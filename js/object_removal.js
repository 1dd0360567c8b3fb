// Shows what a remote object-removal job is doing under its node (queued,
// processing with eta, retrying, done), and lets the user copy a ModelsLab job
// handle to paste into FetchResult later. The server sends these messages only
// to the browser that queued the run.
import { app } from "../../scripts/app.js";
import { api } from "../../scripts/api.js";

const STATUS_EVENT = "comfyui-object-removal.status";
const PACK_NODES = new Set(["MaskObjectRemove", "TextObjectRemove", "FetchResult"]);
const STATUS_COLOR = "#9aa4b1";
const MAX_CHARS = 90;

// Execution ids of nodes inside subgraphs look like "12:5": walk down the path.
function nodeByExecutionId(executionId) {
  let graph = app.graph;
  let node = null;
  for (const part of String(executionId).split(":")) {
    node = graph?.getNodeById?.(Number(part)) ?? graph?.getNodeById?.(part) ?? null;
    if (!node) return null;
    graph = node.subgraph ?? null;
  }
  return node;
}

function shorten(text) {
  return text.length > MAX_CHARS ? `${text.slice(0, MAX_CHARS - 1)}…` : text;
}

app.registerExtension({
  name: "comfyui-object-removal.status",

  setup() {
    api.addEventListener(STATUS_EVENT, ({ detail }) => {
      const node = nodeByExecutionId(detail?.node);
      if (!node || !PACK_NODES.has(node.comfyClass ?? node.type)) return;
      node.objectRemovalStatus = shorten(String(detail.text ?? ""));
      if (detail.job) node.objectRemovalJob = String(detail.job);
      node.setDirtyCanvas?.(true, false);
    });
  },

  async beforeRegisterNodeDef(nodeType, nodeData) {
    if (!PACK_NODES.has(nodeData.name)) return;

    const onDrawForeground = nodeType.prototype.onDrawForeground;
    nodeType.prototype.onDrawForeground = function (ctx) {
      const result = onDrawForeground?.apply(this, arguments);
      if (this.objectRemovalStatus && !this.flags?.collapsed) {
        ctx.save();
        ctx.font = "11px sans-serif";
        ctx.fillStyle = STATUS_COLOR;
        ctx.textAlign = "left";
        // Just below the node's body, where nothing else is drawn.
        ctx.fillText(this.objectRemovalStatus, 6, this.size[1] + 14);
        ctx.restore();
      }
      return result;
    };

    if (nodeData.name !== "TextObjectRemove") return;
    const getExtraMenuOptions = nodeType.prototype.getExtraMenuOptions;
    nodeType.prototype.getExtraMenuOptions = function (canvas, options) {
      const result = getExtraMenuOptions?.apply(this, arguments);
      if (this.objectRemovalJob) {
        const job = this.objectRemovalJob;
        options.push({
          content: "Copy job handle (for FetchResult)",
          callback: () => navigator.clipboard?.writeText(job),
        });
      }
      return result;
    };
  },
});
