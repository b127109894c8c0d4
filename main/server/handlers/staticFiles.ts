import fs from "node:fs";
import path from "node:path";
import type {RequestContext} from "../context.js";
import {ApiError} from "../errors.js";

const contentTypes: Record<string, string> = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".json": "application/json; charset=utf-8",
    ".woff2": "font/woff2"
};

/** The CSP the renderer runs under, in the browser and in Electron alike. */
export const rendererCsp = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

/** Serves the built renderer (GET /, /assets/...). Paths are confined to the renderer folder. */
export function serveStatic(ctx: RequestContext): void {
    const root = ctx.core.rendererDir;
    if (root == null || !fs.existsSync(path.join(root, "index.html")))
        throw new ApiError(404, "not_found_error", "The web UI is not built. Run `npm run build:renderer`.", "ui_not_built");
    const relative = decodeURIComponent(ctx.url.pathname) === "/" ? "index.html" : decodeURIComponent(ctx.url.pathname).slice(1);
    const file = path.resolve(root, relative);
    if (!file.startsWith(path.resolve(root) + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile())
        throw new ApiError(404, "not_found_error", `No route or file for ${ctx.url.pathname}.`, "not_found");
    const type = contentTypes[path.extname(file)] ?? "application/octet-stream";
    const data = fs.readFileSync(file);
    ctx.res.writeHead(200, {
        "content-type": type,
        "content-length": data.length,
        "content-security-policy": rendererCsp,
        "x-content-type-options": "nosniff",
        "referrer-policy": "no-referrer",
        "cache-control": relative.startsWith("assets/") ? "public, max-age=31536000, immutable" : "no-cache"
    });
    ctx.res.end(data);
}
