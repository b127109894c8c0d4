import type {IncomingMessage} from "node:http";
import {keysMatch} from "../config/apiKey.js";
import type {Identity, KeyStore} from "../config/apiKeys.js";
import {ApiError} from "./errors.js";

/**
 * Refuses requests whose Host header names another site (DNS rebinding: a web page whose domain
 * resolves to 127.0.0.1 would otherwise be same-origin with this server). When bound to loopback,
 * only loopback host names are accepted.
 */
export function checkHost(req: IncomingMessage, boundHost: string): void {
    if (!isLoopback(boundHost)) return;
    const host = req.headers.host ?? "";
    const name = host.startsWith("[") ? host.slice(0, host.indexOf("]") + 1) : host.split(":")[0] ?? "";
    if (!["127.0.0.1", "localhost", "[::1]"].includes(name.toLowerCase()))
        throw new ApiError(403, "permission_error", `Host '${host}' is not allowed; use 127.0.0.1 or localhost.`, "host_not_allowed");
}

export function isLoopback(host: string): boolean {
    return host === "127.0.0.1" || host === "localhost" || host === "::1" || host.startsWith("127.");
}

/**
 * Bearer key check (also accepts `x-api-key`, as llama-server does): the app's own key is the admin;
 * issued keys authenticate as their owner.
 */
export function authenticate(req: IncomingMessage, adminKey: string, issued: KeyStore): Identity {
    const header = req.headers.authorization;
    let presented: string | undefined;
    if (typeof header === "string" && /^bearer\s+/i.test(header)) presented = header.replace(/^bearer\s+/i, "").trim();
    else if (typeof req.headers["x-api-key"] === "string") presented = req.headers["x-api-key"];
    if (presented == null || presented === "")
        throw new ApiError(401, "authentication_error", "Missing API key. Send 'Authorization: Bearer <key>' (the key is shown by the CLI and stored in the app's data folder).", "invalid_api_key");
    if (keysMatch(presented, adminKey)) return {name: "admin", admin: true};
    const key = issued.find(presented);
    if (key == null) throw new ApiError(401, "authentication_error", "Incorrect API key provided.", "invalid_api_key");
    return {name: key.name, group: key.group, admin: false, keyId: key.id};
}

/**
 * CORS: only origins on the admin's allowlist get CORS headers (same-origin requests need none).
 * Chrome's private-network preflight is answered for allowed origins.
 * @returns headers to add, or null when the origin is not allowed
 */
export function corsHeaders(req: IncomingMessage, allowlist: readonly string[]): Record<string, string> | null {
    const origin = req.headers.origin;
    if (origin == null) return {};
    if (!originAllowed(origin, allowlist, req.headers.host)) return null;
    return {
        "access-control-allow-origin": origin,
        "vary": "Origin",
        "access-control-allow-credentials": "false",
        "access-control-expose-headers": "retry-after"
    };
}

export function preflightHeaders(req: IncomingMessage): Record<string, string> {
    const headers: Record<string, string> = {
        "access-control-allow-methods": "GET, POST, OPTIONS",
        "access-control-allow-headers": "authorization, content-type, x-api-key, x-stainless-os, x-stainless-lang, x-stainless-package-version, x-stainless-runtime, x-stainless-runtime-version, x-stainless-arch, x-stainless-retry-count, x-stainless-timeout",
        "access-control-max-age": "600"
    };
    if (req.headers["access-control-request-private-network"] === "true")
        headers["access-control-allow-private-network"] = "true";
    return headers;
}

function originAllowed(origin: string, allowlist: readonly string[], host: string | undefined): boolean {
    // The app's own page is same-origin; browsers still send Origin on POST.
    if (host != null && (origin === `http://${host}` || origin === `https://${host}`)) return true;
    return allowlist.some((allowed) => allowed === "*" || allowed === origin);
}
