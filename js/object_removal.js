// The pack's front end: under each of its nodes, the state of the current run (with
// the eta counting down, Cancel and errors shown as such, a free result told from a
// paid one) and a warning when the chosen provider has no key; "Copy job handle" on
// Text Object Remove once this run's job exists; search words on older front ends.
import { app } from "../../scripts/app.js";
import { keyWarning, watchKeys } from "./key_warning.js";
import { followRuns } from "./live_status.js";
import { addSearchAliasesIfMissing } from "./search_aliases.js";

const PACK_NODES = new Set(["MaskObjectRemove", "TextObjectRemove", "FetchResult"]);
const WARNING_COLOR = "#e0b04a";
const LINE_HEIGHT = 14;
const MAX_LINES = 3;

const isPackNode = (node) => PACK_NODES.has(node?.comfyClass ?? node?.type);
let serverSendsAliases = false;

// Execution ids of nodes inside subgraphs look like "12:5": walk down the path.
function nodeByExecutionId(executionId) {
  if (executionId == null) return null;
  let graph = app.graph;
  let node = null;
  for (const part of String(executionId).split(":")) {
    node = graph?.getNodeById?.(Number(part)) ?? graph?.getNodeById?.(part) ?? null;
    if (!node) return null;
    graph = node.subgraph ?? null;
  }
  return isPackNode(node) ? node : null;
}

function packNodes(graph = app.graph, found = []) {
  for (const node of graph?._nodes ?? graph?.nodes ?? []) {
    if (isPackNode(node)) found.push(node);
    if (node.subgraph) packNodes(node.subgraph, found);
  }
  return found;
}

function redraw() {
  app.graph?.setDirtyCanvas?.(true, false);
}

// `text` broken into lines that fit `width`, at most MAX_LINES (the last one cut short).
function wrap(ctx, text, width) {
  const lines = [];
  let line = "";
  for (const word of text.split(" ")) {
    const candidate = line ? `${line} ${word}` : word;
    if (line && ctx.measureText(candidate).width > width) {
      lines.push(line);
      line = word;
    } else {
      line = candidate;
    }
  }
  if (line) lines.push(line);
  if (lines.length > MAX_LINES) {
    lines.length = MAX_LINES;
    lines[MAX_LINES - 1] += " …";
  }
  return lines;
}

function drawUnder(node, ctx) {
  const items = [];
  const warning = keyWarning(node);
  if (warning) items.push([`⚠ ${warning}`, WARNING_COLOR]);
  const line = node.objectRemoval?.line();
  if (line) items.push([line, node.objectRemoval.color()]);
  if (items.length === 0) return;
  ctx.save();
  ctx.font = "11px sans-serif";
  ctx.textAlign = "left";
  // Just below the node's body, where nothing else is drawn.
  let y = node.size[1] + LINE_HEIGHT;
  const width = Math.max(node.size[0], 260);
  for (const [text, color] of items) {
    ctx.fillStyle = color;
    for (const part of wrap(ctx, text, width)) {
      ctx.fillText(part, 6, y);
      y += LINE_HEIGHT;
    }
  }
  ctx.restore();
}

app.registerExtension({
  name: "comfyui-object-removal.status",

  setup() {
    followRuns(nodeByExecutionId, () => packNodes(), redraw);
    watchKeys(redraw);
    addSearchAliasesIfMissing(serverSendsAliases);
  },

  async beforeRegisterNodeDef(nodeType, nodeData) {
    if (!PACK_NODES.has(nodeData.name)) return;
    serverSendsAliases ||= Array.isArray(nodeData.search_aliases);

    const onDrawForeground = nodeType.prototype.onDrawForeground;
    nodeType.prototype.onDrawForeground = function (ctx) {
      const result = onDrawForeground?.apply(this, arguments);
      if (!this.flags?.collapsed) drawUnder(this, ctx);
      return result;
    };

    if (nodeData.name !== "TextObjectRemove") return;
    const getExtraMenuOptions = nodeType.prototype.getExtraMenuOptions;
    nodeType.prototype.getExtraMenuOptions = function (canvas, options) {
      const result = getExtraMenuOptions?.apply(this, arguments);
      const job = this.objectRemoval?.job; // only ever this run's, once its job exists
      if (job) {
        options.push({
          content: "Copy job handle (for FetchResult)",
          callback: () => navigator.clipboard?.writeText(job),
        });
      }
      return result;
    };
  },
});
