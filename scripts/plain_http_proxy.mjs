// A page of ComfyUI on a plain-http origin that is not localhost, as a user on another
// machine opens it (http://192.168.x.x:8188), for scripts/browser_checks.mjs: browsers
// give such a page no navigator.clipboard. Chromium maps the name to 127.0.0.1 itself
// (--host-resolver-rules); this proxy, on 127.0.0.1, passes requests and websockets on to
// ComfyUI as if they came from its own origin, so ComfyUI never looks the name up (its
// origin check would ask DNS) and nothing leaves this machine.
import http from "node:http";
import net from "node:net";

// Starts the proxy to `target` (a URL); resolves to {port, close()}.
export function startPlainHttpProxy(target) {
  const headersFor = (incoming) => {
    const headers = { ...incoming, host: target.host };
    if (headers.origin) headers.origin = target.origin;
    return headers;
  };
  const server = http.createServer((request, response) => {
    const upstream = http.request({
      host: target.hostname, port: target.port, method: request.method, path: request.url,
      headers: headersFor(request.headers),
    }, (answer) => {
      response.writeHead(answer.statusCode, answer.headers);
      answer.pipe(response);
    });
    upstream.on("error", () => response.destroy());
    request.pipe(upstream);
  });
  server.on("upgrade", (request, socket, head) => {
    const upstream = net.connect(Number(target.port), target.hostname, () => {
      const lines = Object.entries(headersFor(request.headers)).map(([k, v]) => `${k}: ${v}`);
      upstream.write(`${request.method} ${request.url} HTTP/1.1\r\n${lines.join("\r\n")}\r\n\r\n`);
      upstream.write(head);
      socket.pipe(upstream).pipe(socket);
    });
    upstream.on("error", () => socket.destroy());
    socket.on("error", () => upstream.destroy());
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => resolve({
      port: server.address().port,
      close: () => { server.closeAllConnections?.(); server.close(); },
    }));
  });
}
