// Reading what a ComfyUI page shows, for scripts/browser_checks.mjs: never the pack's
// own state, only what is on the screen.
//
// A line of a node's status counts as shown only if all of these hold:
//   - its text is in the node's own DOM text (Nodes 2.0: the [data-node-id] element's
//     text; the classic renderer: the text of the DOM widget the front end mounted);
//   - it lies inside the node on the screen, inside the viewport and inside its status
//     area (not scrolled away), and the browser's hit test at the text finds it (no
//     dialog, panel or other node covers it; a hidden element is never hit);
//   - the screenshot of its box has pixels of its colour (the text is painted).

export const STATUS_SELECTOR = "[data-object-removal-status]";

// Everything a check needs about node `id`, read in the page.
export function readNode(page, id) {
  return page.evaluate(([nodeId, selector]) => {
    const { app, LiteGraph } = window;
    const box = (r) => r && { left: r.left, top: r.top, right: r.right, bottom: r.bottom };
    const vue = Boolean(LiteGraph.vueNodesMode);
    const nodeRect = (node) => {
      if (vue) return box(document.querySelector(`[data-node-id="${node.id}"]`)
        ?.getBoundingClientRect());
      const canvas = app.canvas.canvas.getBoundingClientRect();
      const scale = app.canvas.ds.scale;
      const title = LiteGraph.NODE_TITLE_HEIGHT;
      const [x, y] = app.canvas.ds.convertOffsetToCanvas([node.pos[0], node.pos[1] - title]);
      return { left: canvas.left + x, top: canvas.top + y,
        right: canvas.left + x + node.size[0] * scale,
        bottom: canvas.top + y + (node.size[1] + title) * scale };
    };
    const node = app.graph.getNodeById(nodeId);
    if (!node) return null;
    const rect = nodeRect(node);
    const nodeElement = vue ? document.querySelector(`[data-node-id="${nodeId}"]`) : null;
    const statusElement = [...document.querySelectorAll(selector)]
      .find((e) => e.dataset.objectRemovalStatus === String(nodeId)) ?? null;
    // Nodes 2.0: the node's own text, and the status must be part of the node.
    const ownText = vue ? (nodeElement?.innerText ?? "") : (statusElement?.innerText ?? "");
    const inside = (r, outer, slack = 1) => r && outer && r.left >= outer.left - slack &&
      r.top >= outer.top - slack && r.right <= outer.right + slack &&
      r.bottom <= outer.bottom + slack;
    const areaRect = box(statusElement?.getBoundingClientRect());
    const viewport = { left: 0, top: 0, right: innerWidth, bottom: innerHeight };
    const lines = [...(statusElement?.children ?? [])].map((line) => {
      const r = box(line.getBoundingClientRect());
      const hit = document.elementFromPoint(r.left + 8, (r.top + Math.min(r.bottom,
        r.top + 15)) / 2);
      const hitOk = Boolean(hit && (hit === line || line.contains(hit) || hit === statusElement));
      return {
        text: line.innerText, color: getComputedStyle(line).color, rect: r,
        placed: inside(r, rect) && inside(r, viewport) && inside(r, areaRect),
        hit: hitOk,
      };
    });
    const others = app.graph._nodes.filter((n) => n.id !== node.id)
      .map((n) => ({ id: n.id, type: n.type, rect: nodeRect(n) }));
    return {
      vue, rect, areaRect, ownText, lines, others,
      statusInNode: vue ? Boolean(nodeElement?.contains(statusElement)) : Boolean(statusElement),
    };
  }, [id, STATUS_SELECTOR]);
}

// How many pixels of the screenshot of `rect` are close to `cssColor` ("rgb(r, g, b)").
export async function inkPixels(page, rect, cssColor) {
  const clip = { x: Math.max(0, rect.left), y: Math.max(0, rect.top),
    width: Math.max(1, rect.right - rect.left), height: Math.max(1, rect.bottom - rect.top) };
  const png = await page.screenshot({ clip });
  return page.evaluate(async ([data, color]) => {
    const [r, g, b] = color.match(/\d+/g).map(Number);
    const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
    const bitmap = await createImageBitmap(new Blob([bytes], { type: "image/png" }));
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const context = canvas.getContext("2d");
    context.drawImage(bitmap, 0, 0);
    const pixels = context.getImageData(0, 0, bitmap.width, bitmap.height).data;
    let count = 0;
    for (let i = 0; i < pixels.length; i += 4) {
      const d = Math.hypot(pixels[i] - r, pixels[i + 1] - g, pixels[i + 2] - b);
      if (d < 60) count += 1;
    }
    return count;
  }, [png.toString("base64"), cssColor]);
}

const MIN_INK = 12;

// The shown status line of node `id` that matches `pattern`, or why there is none:
// {line} or {why}.
export async function shownLine(page, id, pattern) {
  const seen = await readNode(page, id);
  if (!seen) return { why: `node ${id} is not in the graph` };
  if (!seen.statusInNode) return { why: "no status area inside the node" };
  const line = seen.lines.find((l) => pattern.test(l.text));
  if (!line) return { why: `no line matches ${pattern}: ${JSON.stringify(seen.lines.map((l) => l.text))}` };
  if (!pattern.test(seen.ownText.replace(/\s+/g, " "))) {
    return { why: `not in the node's own text: ${JSON.stringify(seen.ownText.slice(0, 300))}` };
  }
  if (!line.placed) return { why: `"${line.text}" is not inside the node on the screen` };
  if (!line.hit) return { why: `"${line.text}" is covered or hidden (hit test)` };
  const ink = await inkPixels(page, line.rect, line.color);
  if (ink < MIN_INK) return { why: `"${line.text}" has no pixels of its colour (${ink})` };
  return { line: line.text, ink };
}

// Polls until a line matching `pattern` is shown on node `id`, up to `seconds`.
export async function waitShown(page, id, pattern, seconds) {
  const until = Date.now() + seconds * 1000;
  let last;
  do {
    last = await shownLine(page, id, pattern);
    if (last.line) return last;
    await page.waitForTimeout(200);
  } while (Date.now() < until);
  return last;
}

// Polls until no line matching `pattern` is shown on node `id` (in the node's text).
export async function waitGone(page, id, pattern, seconds) {
  const until = Date.now() + seconds * 1000;
  do {
    const seen = await readNode(page, id);
    if (seen && !pattern.test(seen.ownText.replace(/\s+/g, " "))) return true;
    await page.waitForTimeout(200);
  } while (Date.now() < until);
  return false;
}

// The `words` that node `id`'s status area shows split over two rows (as "local-" at
// the end of one row and "lama" at the start of the next), read from the laid-out text.
export function wordsSplitOverRows(page, id, words) {
  return page.evaluate(([nodeId, selector, wanted]) => {
    const area = [...document.querySelectorAll(selector)]
      .find((e) => e.dataset.objectRemovalStatus === String(nodeId));
    if (!area) return wanted;
    const split = new Set();
    const walker = document.createTreeWalker(area, NodeFilter.SHOW_TEXT);
    for (let text = walker.nextNode(); text; text = walker.nextNode()) {
      for (const word of wanted) {
        for (let at = text.data.indexOf(word); at >= 0; at = text.data.indexOf(word, at + 1)) {
          const range = document.createRange();
          range.setStart(text, at);
          range.setEnd(text, at + word.length);
          const rows = new Set([...range.getClientRects()].filter((r) => r.width > 0)
            .map((r) => Math.round(r.top)));
          if (rows.size > 1) split.add(word);
        }
      }
    }
    return [...split];
  }, [id, STATUS_SELECTOR, words]);
}

// Rectangles of other nodes that the status area of node `id` overlaps.
export async function statusOverlaps(page, id) {
  const seen = await readNode(page, id);
  const a = seen?.areaRect;
  if (!a) return ["no status area"];
  return seen.others.filter(({ rect: b }) => b && a.left < b.right && b.left < a.right &&
    a.top < b.bottom && b.top < a.bottom).map((o) => `${o.type} #${o.id}`);
}

// Clicks the visible menu entry whose text is exactly `label`; false if none is shown.
export async function clickMenuEntry(page, label) {
  const at = await page.evaluate((text) => {
    const entry = [...document.querySelectorAll("body *")].find((e) =>
      e.childElementCount === 0 && e.textContent.trim() === text && e.getClientRects().length);
    if (!entry) return null;
    const r = entry.getBoundingClientRect();
    return [r.left + r.width / 2, r.top + r.height / 2];
  }, label);
  if (!at) return false;
  await page.mouse.click(at[0], at[1]);
  return true;
}

// The screen point of node `id`'s title bar, and whether a click there reaches the node
// (the canvas under it, or the node's own element in Nodes 2.0): [x, y, reaches].
export function titlePoint(page, id) {
  return page.evaluate((nodeId) => {
    const { app, LiteGraph } = window;
    let x;
    let y;
    if (LiteGraph.vueNodesMode) {
      const r = document.querySelector(`[data-node-id="${nodeId}"]`).getBoundingClientRect();
      [x, y] = [r.left + 80, r.top + 12];
    } else {
      const node = app.graph.getNodeById(nodeId);
      const canvas = app.canvas.canvas.getBoundingClientRect();
      const [cx, cy] = app.canvas.ds.convertOffsetToCanvas(
        [node.pos[0] + 80, node.pos[1] - LiteGraph.NODE_TITLE_HEIGHT / 2]);
      [x, y] = [canvas.left + cx, canvas.top + cy];
    }
    const hit = document.elementFromPoint(x, y);
    const reaches = LiteGraph.vueNodesMode
      ? Boolean(hit?.closest(`[data-node-id="${nodeId}"]`)) : hit === app.canvas.canvas;
    return [x, y, reaches];
  }, id);
}
