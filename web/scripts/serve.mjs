// Serves web/dist on 127.0.0.1 (wasm needs http, not file://, and application/wasm).
//   node web/scripts/serve.mjs [--port 8000] [--dir web/dist]
import { createServer } from "node:http";
import { readFile, stat } from "node:fs/promises";
import { dirname, extname, join, normalize, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".wasm": "application/wasm",
  ".json": "application/json",
  ".map": "application/json",
  ".yml": "text/yaml; charset=utf-8",
  ".png": "image/png",
  ".ts": "text/plain; charset=utf-8",
};

/** Starts a server for `dir`; resolves to { server, url }. Port 0 picks a free one. */
export function serve(dir, port = 0, host = "127.0.0.1") {
  const root = resolve(dir);
  const server = createServer(async (req, res) => {
    try {
      const path = decodeURIComponent(new URL(req.url, "http://x").pathname);
      let file = normalize(join(root, path));
      if (!file.startsWith(root)) throw new Error("outside");
      if ((await stat(file)).isDirectory()) file = join(file, "index.html");
      const body = await readFile(file);
      res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream", "cache-control": "no-cache" });
      res.end(body);
    } catch {
      res.writeHead(404, { "content-type": "text/plain" });
      res.end("not found\n");
    }
  });
  return new Promise((ok) => server.listen(port, host, () => ok({ server, url: `http://${host}:${server.address().port}/` })));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const arg = (name, fallback) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? process.argv[i + 1] : fallback;
  };
  const dir = arg("--dir", join(dirname(fileURLToPath(import.meta.url)), "..", "dist"));
  const { url } = await serve(dir, Number(arg("--port", 8000)));
  console.log(`signoff simulator: ${url}  (serving ${dir}; Ctrl-C stops)`);
}
