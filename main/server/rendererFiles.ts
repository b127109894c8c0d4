import fs from "node:fs";
import path from "node:path";

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

/** The CSP the renderer runs under, in the browser (HTTP header) and in Electron (protocol handler) alike. */
export const rendererCsp =
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

export interface RendererFile {
    data: Buffer;
    contentType: string;
    /** Hashed build assets can be cached forever; index.html must not be. */
    immutable: boolean;
}

/**
 * Finds a file of the built renderer for a URL path, confined to the renderer folder
 * (`..` and encoded escapes cannot leave it). Returns null when there is no such file.
 */
export function readRendererFile(root: string, urlPath: string): RendererFile | null {
    let decoded: string;
    try {
        decoded = decodeURIComponent(urlPath);
    } catch {
        return null;
    }
    const relative = decoded === "/" || decoded === "" ? "index.html" : decoded.replace(/^\/+/, "");
    const base = path.resolve(root);
    const file = path.resolve(base, relative);
    if (!file.startsWith(base + path.sep)) return null;
    if (!fs.existsSync(file) || !fs.statSync(file).isFile()) return null;
    return {
        data: fs.readFileSync(file),
        contentType: contentTypes[path.extname(file)] ?? "application/octet-stream",
        immutable: relative.startsWith("assets/")
    };
}

/** Security headers sent with every renderer file. */
export function rendererHeaders(file: RendererFile): Record<string, string> {
    return {
        "content-type": file.contentType,
        "content-security-policy": rendererCsp,
        "x-content-type-options": "nosniff",
        "referrer-policy": "no-referrer",
        "cache-control": file.immutable ? "public, max-age=31536000, immutable" : "no-cache"
    };
}
