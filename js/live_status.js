// The state of a run on each of the pack's nodes: what the node is doing, what it
// cost, and the job handle it produced. Everything shown belongs to the run that
// produced it: a new run clears it, a message from an older run is ignored, Cancel
// and errors are shown as such, and the provider's eta counts down in the browser.
import { api } from "../../scripts/api.js";

export const STATUS_EVENT = "comfyui-object-removal.status";

const COLORS = {
  working: "#9aa4b1",
  paid: "#7cc47f", // done, with paid calls
  free: "#6fa8dc", // done at no charge: from cache, resumed, offline, or nothing to do
  pending: "#e0b04a", // the job runs on at the provider: collect it later
  cancelled: "#c0a080",
  error: "#e06c6c",
  reused: "#9aa4b1",
};
const PREFIX = { paid: "✓ ", free: "✓ ", pending: "… ", cancelled: "✕ ", error: "⚠ " };

export class LiveStatus {
  constructor() {
    this.text = "";
    this.state = "idle";
    this.job = null; // a handle worth copying, once the job exists
    this.promptId = null;
    this.etaUntil = null; // ms timestamp the provider's estimate points at
  }

  startRun(promptId) {
    Object.assign(this, new LiveStatus(), { promptId, state: "working", text: "starting ..." });
  }

  // A status message from the server; false when it belongs to another run.
  apply(message) {
    if (message.prompt_id && this.promptId && message.prompt_id !== this.promptId) return false;
    const text = String(message.text ?? "");
    const eta = Number(message.eta);
    if (message.eta == null || !Number.isFinite(eta)) {
      this.etaUntil = null;
    } else if (text !== this.text || this.etaUntil === null) {
      // The provider repeats its first estimate at every poll: count down from the
      // first one for this job rather than start again at each message.
      this.etaUntil = Date.now() + eta * 1000;
    }
    this.promptId = message.prompt_id ?? this.promptId;
    this.text = text;
    this.state = message.state ?? "working";
    if (message.job) this.job = String(message.job);
    return true;
  }

  cancelled() {
    if (this.state !== "working") return;
    this.state = "cancelled";
    this.etaUntil = null;
    this.text = this.job
      ? "cancelled; the job runs on at the provider: copy its handle to collect it later"
      : "cancelled";
  }

  failed(message) {
    this.state = "error";
    this.etaUntil = null;
    this.text = String(message ?? "failed").split("\n")[0];
  }

  // ComfyUI reused this node's last output without running it: the state shown still
  // holds; with none shown (a page opened since), say that nothing ran.
  reused() {
    if (this.state === "idle") {
      Object.assign(this, { state: "reused", text: "unchanged: ComfyUI reused its last result" });
      return;
    }
    this.text = `${this.text.replace(/ \(unchanged.*\)$/, "")} (unchanged: not run again)`;
  }

  hasCountdown() {
    return this.etaUntil !== null && this.state === "working";
  }

  line() {
    if (!this.text) return "";
    let text = (PREFIX[this.state] ?? "") + this.text;
    if (this.hasCountdown()) {
      const left = Math.round((this.etaUntil - Date.now()) / 1000);
      text += left > 0 ? `, eta ${left} s` : ", past its eta, still waiting";
    }
    return text;
  }

  color() {
    return COLORS[this.state] ?? COLORS.working;
  }
}

// Wires ComfyUI's execution events and the pack's status messages to the nodes that
// `findNode(executionId)` returns (only the pack's nodes); `render()` shows the change.
export function followRuns(findNode, packNodes, render) {
  let runningPrompt = null;
  const status = (node) => (node.objectRemoval ??= new LiveStatus());
  const inRun = (promptId) => packNodes().filter((n) => n.objectRemoval?.promptId === promptId);
  const id = (detail) => (detail && typeof detail === "object" ? detail.node : detail);

  api.addEventListener("execution_start", ({ detail }) => {
    runningPrompt = detail?.prompt_id ?? null;
    // A new run: nothing shown so far belongs to it. Nodes it reuses get theirs back.
    for (const node of packNodes()) {
      node.objectRemovalPrevious = node.objectRemoval;
      node.objectRemoval = Object.assign(new LiveStatus(), { promptId: runningPrompt });
    }
    render();
  });
  api.addEventListener("execution_cached", ({ detail }) => {
    for (const executionId of detail?.nodes ?? []) {
      const node = findNode(executionId);
      if (!node) continue;
      if (node.objectRemovalPrevious) node.objectRemoval = node.objectRemovalPrevious;
      status(node).reused();
    }
    render();
  });
  api.addEventListener("executing", ({ detail }) => {
    const node = findNode(id(detail));
    if (node) status(node).startRun(detail?.prompt_id ?? runningPrompt);
    render();
  });
  api.addEventListener(STATUS_EVENT, ({ detail }) => {
    const node = findNode(detail?.node);
    if (node && status(node).apply(detail)) render();
  });
  api.addEventListener("execution_interrupted", ({ detail }) => {
    for (const node of inRun(detail?.prompt_id ?? runningPrompt)) node.objectRemoval.cancelled();
    render();
  });
  api.addEventListener("execution_error", ({ detail }) => {
    const failed = findNode(detail?.node_id);
    if (failed) status(failed).failed(detail.exception_message);
    // Nodes of the same run still waiting were stopped with it.
    for (const node of inRun(detail?.prompt_id ?? runningPrompt)) {
      if (node !== failed && node.objectRemoval.state === "working") {
        node.objectRemoval.failed("stopped: another node of this run failed");
      }
    }
    render();
  });
}
