// "Copy job handle": to the clipboard where the page may use it; where it may not
// (browsers offer navigator.clipboard only on https and localhost, so not to a ComfyUI
// opened as http://192.168.x.x:8188 from another machine) or the browser refuses, a
// dialog shows the handle already selected, to copy by hand.
import { app } from "../../scripts/app.js";

export const MENU_LABEL = "Copy job handle (for FetchResult)";

// The menu entries for `node`: one, once this run's job exists.
export function copyHandleItems(node) {
  const job = node?.objectRemoval?.job;
  return job ? [{ content: MENU_LABEL, callback: () => copyHandle(job) }] : [];
}

export async function copyHandle(handle) {
  if (navigator.clipboard?.writeText) {
    try {
      await navigator.clipboard.writeText(handle);
      app.extensionManager?.toast?.add?.({
        severity: "success", summary: "Job handle copied", detail: handle, life: 3000,
      });
      return;
    } catch {
      // refused (no focus, no permission): the dialog below still gives it to the user
    }
  }
  showHandleDialog(handle);
}

function showHandleDialog(handle) {
  document.querySelector("[data-object-removal-dialog]")?.remove();
  const overlay = document.createElement("div");
  overlay.dataset.objectRemovalDialog = "";
  overlay.style.cssText = "position:fixed;inset:0;z-index:10000;display:flex;" +
    "align-items:center;justify-content:center;background:rgba(0,0,0,.5)";
  const box = document.createElement("div");
  box.setAttribute("role", "dialog");
  box.setAttribute("aria-label", "Job handle");
  box.style.cssText = "background:#222;color:#ddd;border:1px solid #555;border-radius:8px;" +
    "padding:16px;width:min(560px,90vw);font:13px sans-serif";
  const text = document.createElement("p");
  text.style.margin = "0 0 10px";
  text.textContent = "This page may not use the clipboard (it is not opened over https or " +
    "from localhost). The job handle is selected: press Ctrl+C (⌘C on a Mac) to copy it, " +
    "then paste it into Fetch Result's job input.";
  const field = document.createElement("input");
  field.readOnly = true;
  field.value = handle;
  field.style.cssText = "width:100%;box-sizing:border-box;padding:6px;font:13px monospace;" +
    "background:#111;color:#eee;border:1px solid #666";
  const close = document.createElement("button");
  close.textContent = "Close";
  close.style.cssText = "margin-top:12px;float:right;padding:4px 14px";
  const dismiss = () => overlay.remove();
  close.addEventListener("click", dismiss);
  overlay.addEventListener("click", (event) => event.target === overlay && dismiss());
  overlay.addEventListener("keydown", (event) => {
    event.stopPropagation(); // Ctrl+C copies the text, not the selected nodes
    if (event.key === "Escape" || event.key === "Enter") dismiss();
  });
  box.append(text, field, close);
  overlay.append(box);
  document.body.append(overlay);
  field.focus();
  field.select();
}
