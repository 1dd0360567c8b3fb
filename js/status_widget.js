// The status area of a pack node: a DOM widget, which both renderers mount inside the
// node (the classic canvas places it over the node's body, Nodes 2.0 puts it in the
// node's own elements, [data-node-id], whose layout would size it to its text). It has
// a fixed height, so the node never grows over its neighbours when a long line
// arrives; what does not fit scrolls, and the whole text is the element's tooltip.
// Text only ever goes in as text, never as HTML.

const LINE_HEIGHT = 14;
const LINES = 5; // a finished run's line with its cost and handle, at a new node's width
const PADDING = 3;
const MARGIN = 4; // around the element, inside the node (the front ends' default is 10)
const HEIGHT = LINE_HEIGHT * LINES + 2 * PADDING;
const STYLE_ID = "object-removal-status-style";

function addStyleOnce() {
  if (document.getElementById(STYLE_ID)) return;
  const style = document.createElement("style");
  style.id = STYLE_ID;
  style.textContent = `
.object-removal-status {
  box-sizing: border-box; height: ${HEIGHT}px; padding: ${PADDING}px 6px; overflow-y: auto;
  font: 11px/${LINE_HEIGHT}px sans-serif; white-space: normal; overflow-wrap: anywhere;
  pointer-events: auto; user-select: text;
}
.object-removal-status > div { margin: 0; }
.object-removal-status .object-removal-name { white-space: nowrap; }
[data-node-id] .object-removal-status { flex: none !important; height: ${HEIGHT}px !important; }`;
  document.head.append(style);
}

// Adds the (empty) status area to `node`; returns its element.
export function addStatusWidget(node) {
  addStyleOnce();
  const element = document.createElement("div");
  element.className = "object-removal-status";
  const widget = node.addDOMWidget("object_removal_status", "object_removal_status", element, {
    serialize: false, // never saved in a workflow nor sent with a prompt
    hideOnZoom: false,
    hideInPanel: true, // not an input: the properties panel of new front ends leaves it out
    margin: MARGIN,
    getValue: () => undefined,
    setValue: () => {},
    getMinHeight: () => HEIGHT + 2 * MARGIN,
    getMaxHeight: () => HEIGHT * 3, // a node the user makes taller shows more
  });
  widget.serialize = false;
  return element;
}

// Shows `lines` ([text, colour] pairs) in the status area of `node`, touching the page
// only on change. The area is marked with the node's id (known once the node is in a
// graph), which the browser checks read.
export function showLines(node, element, lines) {
  if (element.dataset.objectRemovalStatus !== String(node.id)) {
    element.dataset.objectRemovalStatus = String(node.id);
  }
  const key = JSON.stringify(lines);
  if (element.objectRemovalShown === key) return;
  element.objectRemovalShown = key;
  element.replaceChildren(...lines.map(([text, color]) => {
    const line = document.createElement("div");
    line.append(...withUnbrokenNames(text));
    line.style.color = color;
    return line;
  }));
  element.title = lines.map(([text]) => text).join("\n");
}

// A provider's name ("local-lama") is what the user picks from the node's list: it is
// kept on one line, never broken after its hyphen ("local-" / "lama").
const PROVIDER_NAME = /local-[a-z]+/g;

function withUnbrokenNames(text) {
  const parts = [];
  let from = 0;
  for (const match of text.matchAll(PROVIDER_NAME)) {
    parts.push(text.slice(from, match.index));
    const name = document.createElement("span");
    name.className = "object-removal-name";
    name.textContent = match[0];
    parts.push(name);
    from = match.index + match[0].length;
  }
  parts.push(text.slice(from));
  return parts.filter((part) => part !== "");
}
