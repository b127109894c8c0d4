import type {IncomingMessage} from "node:http";
import os from "node:os";
import {keysMatch} from "../config/apiKey.js";
import type {Identity, KeyStore} from "../config/apiKeys.js";
import {ApiError} from "./errors.js";
import {canonicalHost, isLoopback, isWildcard, localInterfaceAddresses} from "../config/addresses.js";

/** Where the server listens and which extra host names the admin allows in the Host header. */
export interface HostPolicy {
    boundHost: string;
    /** Names (or addresses) this server is reached by besides its own address, e.g. a LAN DNS name. */
    allowedHosts: readonly string[];
}

/**
 * Refuses requests whose Host header names another site (DNS rebinding: a web page whose domain
 * resolves to this machine would otherwise be same-origin with this server, and the CORS rule trusts the
 * Host for same-origin). Always on, whatever the bind address: loopback names, the bound address (every
 * interface address of this machine for a wildcard bind, and its host name), and the admin's configured
 * names are allowed; everything is compared parsed, never as a spelling.
 */
export function checkHost(req: IncomingMessage, policy: HostPolicy): void {
    const header = req.headers.host ?? "";
    let name: string;
    try {
        name = canonicalHost(new URL(`http://${header}/`).hostname);
    } catch {
        name = "";
    }
    if (name === "" || !hostAllowed(name, policy))
        throw new ApiError(
            403,
            "permission_error",
            `Host '${header}' is not allowed; use 127.0.0.1 or localhost, or ask the admin to add the name to api.allowedHosts.`,
            "host_not_allowed"
        );
}

function hostAllowed(name: string, {boundHost, allowedHosts}: HostPolicy): boolean {
    if (isLoopback(name)) return true;
    if (allowedHosts.some((allowed) => canonicalHost(allowed) === name)) return true;
    if (isLoopback(boundHost)) return false;
    if (name === canonicalHost(boundHost)) return true;
    if (!isWildcard(boundHost)) return false;
    return name === canonicalHost(os.hostname()) || localInterfaceAddresses().includes(name);
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
        throw new ApiError(
            401,
            "authentication_error",
            "Missing API key. Send 'Authorization: Bearer <key>' (the key is shown by the CLI and stored in the app's data folder).",
            "invalid_api_key"
        );
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
        vary: "Origin",
        "access-control-allow-credentials": "false",
        "access-control-expose-headers": "retry-after"
    };
}

/** Headers every allowed origin may send, whatever it asks for. */
const alwaysAllowedHeaders = "authorization, content-type, x-api-key";

/**
 * The preflight's answer, for an origin already allowed. The headers it asks to send are allowed as asked
 * (client libraries add their own: the OpenAI SDK's `x-stainless-*`, `openai-organization`, …; a fixed list broke
 * each new one), once checked to be header names; the bearer key still decides what a request may do.
 */
export function preflightHeaders(req: IncomingMessage): Record<string, string> {
    const asked = req.headers["access-control-request-headers"];
    const names = (typeof asked === "string" ? asked : "")
        .split(",")
        .map((name) => name.trim().toLowerCase())
        .filter((name) => /^[a-z0-9!#$%&'*+.^_`|~-]{1,64}$/.test(name))
        .slice(0, 64);
    const headers: Record<string, string> = {
        "access-control-allow-methods": "GET, POST, OPTIONS",
        "access-control-allow-headers": [...new Set([...alwaysAllowedHeaders.split(", "), ...names])].join(", "),
        "access-control-max-age": "600",
        // The answer depends on what was asked: caches must keep one per set of headers.
        vary: "Origin, Access-Control-Request-Headers"
    };
    if (req.headers["access-control-request-private-network"] === "true") headers["access-control-allow-private-network"] = "true";
    return headers;
}

function originAllowed(origin: string, allowlist: readonly string[], host: string | undefined): boolean {
    // The app's own page is same-origin; browsers still send Origin on POST.
    if (host != null && sameOrigin(origin, host)) return true;
    return allowlist.some((allowed) => allowed === "*" || allowed === origin);
}

/** Whether `origin` is this server's own page as reached through `host` (compared parsed, not as text). */
function sameOrigin(origin: string, host: string): boolean {
    try {
        const from = new URL(origin);
        return (
            (from.protocol === "http:" || from.protocol === "https:") && from.origin === origin.toLowerCase() && from.host === new URL(`http://${host}`).host
        );
    } catch {
        return false;
    }
}
