// The pack's front end. On each of its nodes that reports a status (a node of this pack
// with the hidden UNIQUE_ID input), a status area that both renderers show: a warning
// when the chosen provider has no key, before anything is queued; the state of the
// current run, with the eta counting down, Cancel and errors shown as such, and what it
// cost. "Copy job handle" in the node's menu once this run's job exists. Search words
// on older front ends.
import { app } from "../../scripts/app.js";
import { copyHandleItems } from "./copy_handle.js";
import { keyWarning, watchKeys } from "./key_warning.js";
import { followRuns } from "./live_status.js";
import { addSearchAliasesIfMissing } from "./search_aliases.js";
import { addStatusWidget, showLines } from "./status_widget.js";

const WARNING_COLOR = "#e0b04a";
const NEW_NODE_WIDTH = 300; // a status line of ~50 characters
// ComfyUI names the module of a custom node after its folder, which serves this file.
const PACK_MODULE = `custom_nodes.${decodeURIComponent(new URL(import.meta.url).pathname
  .split("/").at(-2))}`;

const statusNodeTypes = new Set();
let serverSendsAliases = false;

const isPackNode = (node) => statusNodeTypes.has(node?.comfyClass ?? node?.type);

function isOurs(nodeData) {
  const module = nodeData.python_module ?? "";
  return module === PACK_MODULE || module.startsWith(`${PACK_MODULE}.`);
}

const reportsStatus = (nodeData) =>
  isOurs(nodeData) && Object.values(nodeData.input?.hidden ?? {}).includes("UNIQUE_ID");

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

// The run's state first (what a user watches during a run), then a missing key.
function linesFor(node) {
  const lines = [];
  const status = node.objectRemoval;
  const line = status?.line();
  if (line) lines.push([line, status.color()]);
  const warning = keyWarning(node);
  if (warning) lines.push([`⚠ ${warning}`, WARNING_COLOR]);
  return lines;
}

// Room for the status area inside the node: a node created here was sized before it
// was added, one from a workflow saved before the pack had it may be too short.
function fitStatusArea(node, width = node.size[0]) {
  const height = node.computeSize?.()[1];
  if (height > node.size[1] || width > node.size[0]) {
    node.setSize([Math.max(width, node.size[0]), Math.max(height, node.size[1])]);
  }
}

// Nodes 2.0 of front end 1.49 mounts a node's DOM widgets only when the node's element
// is created; when a new node takes the id of a node removed in the same step (a graph
// cleared and rebuilt at once), the old element is kept, and the removed node's status
// area with it. Put this node's own in its place.
function mountOwnStatusArea(node, shown) {
  const element = node.objectRemovalElement;
  if (element.isConnected || node.graph !== app.canvas?.graph) return;
  const stale = document.querySelector(
    `[data-node-id="${CSS.escape(String(node.id))}"] .object-removal-status`);
  if (stale && !shown.has(stale.objectRemovalNode)) stale.replaceWith(element);
}

function render() {
  const nodes = packNodes();
  const shown = new Set(nodes);
  for (const node of nodes) {
    if (!node.objectRemovalElement) continue;
    mountOwnStatusArea(node, shown);
    showLines(node, node.objectRemovalElement, linesFor(node));
  }
}

app.registerExtension({
  name: "comfyui-object-removal.status",

  setup() {
    followRuns(nodeByExecutionId, () => packNodes(), render);
    watchKeys(render);
    addSearchAliasesIfMissing(serverSendsAliases);
    // The eta counts down, and a changed provider choice shows its warning, between
    // the server's messages.
    setInterval(render, 1000);
  },

  // The current front ends' node menu hook (classic and Nodes 2.0 alike).
  getNodeMenuItems(node) {
    return isPackNode(node) ? copyHandleItems(node) : [];
  },

  async beforeRegisterNodeDef(nodeType, nodeData) {
    if (isOurs(nodeData)) serverSendsAliases ||= Array.isArray(nodeData.search_aliases);
    if (!reportsStatus(nodeData)) return;
    statusNodeTypes.add(nodeData.name);

    const onNodeCreated = nodeType.prototype.onNodeCreated;
    nodeType.prototype.onNodeCreated = function () {
      const result = onNodeCreated?.apply(this, arguments);
      this.objectRemovalElement = addStatusWidget(this);
      this.objectRemovalElement.objectRemovalNode = this;
      showLines(this, this.objectRemovalElement, linesFor(this));
      fitStatusArea(this, NEW_NODE_WIDTH);
      return result;
    };
    const onConfigure = nodeType.prototype.onConfigure;
    nodeType.prototype.onConfigure = function () {
      const result = onConfigure?.apply(this, arguments);
      fitStatusArea(this);
      return result;
    };

    // Front ends without getNodeMenuItems (1.27 and older) build the menu from this.
    if (typeof app.collectNodeMenuItems === "function") return;
    const getExtraMenuOptions = nodeType.prototype.getExtraMenuOptions;
    nodeType.prototype.getExtraMenuOptions = function (canvas, options) {
      const result = getExtraMenuOptions?.apply(this, arguments);
      options.push(...copyHandleItems(this));
      return result;
    };
  },
});
