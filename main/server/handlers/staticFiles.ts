import fs from "node:fs";
import path from "node:path";
import type {RequestContext} from "../context.js";
import {ApiError} from "../errors.js";
import {readRendererFile, rendererHeaders} from "../rendererFiles.js";

/** Serves the built renderer (GET /, /assets/...), public: the page holds no secrets, the key stays in the URL fragment. */
export function serveStatic(ctx: RequestContext): void {
    const root = ctx.host.rendererDir;
    if (root == null || !fs.existsSync(path.join(root, "index.html")))
        throw new ApiError(404, "not_found_error", "The web UI is not built. Run `npm run build:renderer`.", "ui_not_built");
    const file = readRendererFile(root, ctx.url.pathname);
    if (file == null) throw new ApiError(404, "not_found_error", `No route or file for ${ctx.url.pathname}.`, "not_found");
    ctx.res.writeHead(200, {...rendererHeaders(file), "content-length": file.data.length});
    ctx.res.end(file.data);
}
