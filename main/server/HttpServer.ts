import http from "node:http";
import type {AddressInfo} from "node:net";
import type {Duplex} from "node:stream";
import {readJsonObject, type ByteBudget} from "./body.js";
import type {RequestContext, Route, ServerHost} from "./context.js";
import {ApiError, sendError, toApiError} from "./errors.js";
import {serveStatic} from "./handlers/staticFiles.js";
import type {Identity} from "../config/apiKeys.js";
import {ClientGoneError, RequestTimeoutError, ServerStoppingError} from "../runtime/abortReasons.js";
import {KeyedRequests} from "./KeyedRequests.js";
import {authenticate, checkHost, corsHeaders, preflightHeaders} from "./security.js";

/** How long requests stopped by a shutdown get to tell their clients why before the connections close. */
const cutOffMs = 500;

/**
 * The local HTTP server: the OpenAI-compatible API plus the web UI. One pre-routing step does the
 * host check, CORS and the API key; handlers only see validated requests. The route table is given
 * (see `apiRoutes`), so this file knows nothing of what the routes do.
 */
export class HttpServer {
    private readonly server: http.Server;
    /** Requests in flight per identity, for the per-key concurrency limit. */
    private readonly active = new Map<string, number>();
    /** Request body bytes in flight per identity (held until the response ends). */
    private readonly bytesInFlight = new Map<string, number>();
    /** Responses not finished yet, so that a move can end their connections once they are done. */
    private readonly pending = new Set<http.ServerResponse>();
    /** Each request's abort, while it runs: a shutdown past its grace stops them (see closeGracefully). */
    private readonly running = new Set<AbortController>();
    private closing = false;
    /** The address this server listens on (the Host check allows it); set by {@link listen}. */
    private boundHost = "127.0.0.1";
    /** Issued keys' requests in flight: a revoked key's stop at once. */
    private readonly keyed: KeyedRequests;

    public constructor(
        private readonly host: ServerHost,
        private readonly routes: readonly Route[]
    ) {
        const limits = host.settings.limits;
        this.keyed = new KeyedRequests(host.keys);
        // Checked every second so the receive timeouts below hold to about a second.
        this.server = http.createServer({connectionsCheckingInterval: 1000}, (req, res) => {
            this.pending.add(res);
            res.on("close", () => {
                this.pending.delete(res);
                // After a move, a connection kept alive would still reach the old address: end it.
                if (this.closing) setImmediate(() => this.server.closeIdleConnections());
            });
            if (this.closing) res.setHeader("connection", "close");
            void this.handle(req, res);
        });
        // These bound receiving the request (headers, then the whole body), not the response: a stream
        // may run for minutes, but a client that sends half a body is cut off with a 408.
        this.server.requestTimeout = limits.requestReceiveTimeoutMs;
        this.server.headersTimeout = Math.min(limits.requestReceiveTimeoutMs, 10_000);
        // Node answers these itself with a bare status line; clients get an OpenAI-style body like every other error.
        this.server.on("clientError", (error: NodeJS.ErrnoException, socket) => answerClientError(error, socket));
    }

    /** Starts listening; port 0 picks a free port. */
    public listen(port: number, host: string): Promise<{port: number; host: string}> {
        return new Promise((resolve, reject) => {
            this.server.once("error", reject);
            this.boundHost = host;
            this.server.listen(port, host, () => {
                this.server.off("error", reject);
                const address = this.server.address() as AddressInfo;
                resolve({port: address.port, host});
            });
        });
    }

    public close(): Promise<void> {
        this.keyed.close();
        return new Promise((resolve) => {
            this.closing = true;
            this.server.close(() => resolve());
            this.cutOff();
        });
    }

    /**
     * Stops what still runs and tells each client why (an error event ends a stream), then closes every connection a
     * moment later: cut without a word, a stream looked like a network failure.
     */
    private cutOff(): void {
        if (this.running.size === 0) return this.server.closeAllConnections();
        for (const abort of this.running) abort.abort(new ServerStoppingError());
        setTimeout(() => this.server.closeAllConnections(), cutOffMs).unref();
    }

    /**
     * Stops listening at once (the port is free for a new server) but lets requests in flight finish,
     * the one that asked for the move included: their responses close the connection, idle ones are
     * closed now, and whatever still runs after `graceMs` is cut off.
     * @returns a promise that settles once every connection is closed
     */
    public closeGracefully(graceMs: number): Promise<void> {
        this.closing = true;
        for (const res of this.pending) if (!res.headersSent) res.setHeader("connection", "close");
        const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
        this.server.closeIdleConnections();
        const timer = setTimeout(() => this.cutOff(), graceMs);
        timer.unref();
        // The requests it lets finish are still stopped by a revocation until the last one ends.
        return closed.finally(() => {
            clearTimeout(timer);
            this.keyed.close();
        });
    }

    private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
        const arrivedAt = performance.now();
        const {settings} = this.host;
        let cors: Record<string, string> = {};
        try {
            const url = new URL(req.url ?? "/", "http://localhost");
            checkHost(req, {boundHost: this.boundHost, allowedHosts: Array.isArray(settings.api.allowedHosts) ? settings.api.allowedHosts : []});
            const allowed = corsHeaders(req, settings.api.corsOrigins);
            if (allowed == null)
                throw new ApiError(
                    403,
                    "permission_error",
                    `Origin '${req.headers.origin}' is not allowed. An admin can add it to the CORS allowlist.`,
                    "origin_not_allowed"
                );
            cors = allowed;
            if (req.method === "OPTIONS") {
                res.writeHead(204, {...cors, ...preflightHeaders(req)});
                res.end();
                return;
            }

            const {route, allowedMethods} = findRoute(this.routes, req.method ?? "GET", url.pathname);
            if (route == null) {
                if (allowedMethods.length > 0)
                    throw new ApiError(405, "invalid_request_error", `Method ${req.method} is not allowed on ${url.pathname}.`, "method_not_allowed", null, {
                        allow: allowedMethods.join(", ")
                    });
                if ((req.method === "GET" || req.method === "HEAD") && !isApiPath(url.pathname))
                    return serveStatic(this.context(req, res, url, arrivedAt, cors, anonymous));
                throw new ApiError(404, "not_found_error", `Unknown route ${req.method} ${url.pathname}.`, "not_found");
            }
            const identity = !route.public && settings.api.auth ? authenticate(req, this.host.apiKey, this.host.keys) : anonymous;
            if (route.method !== "POST") return await route.handler(this.context(req, res, url, arrivedAt, cors, identity));
            await this.limited(identity, () => route.handler(this.context(req, res, url, arrivedAt, cors, identity)));
        } catch (error) {
            if (error instanceof ClientGoneError) return void (res.writableEnded || res.end());
            // A refusal of the client's request (4xx) is the client's to read, not the server log's.
            if (toApiError(error).status >= 500) this.host.log.warn(`${req.method} ${req.url}: ${(error as Error).message}`);
            if (!res.headersSent) {
                // Refused before its body was read through (too large, too many bytes in flight): the rest of the body
                // is not read, so the connection ends with the answer; a client told so does not send its next
                // request on a socket the server is closing (it read a reset).
                sendError(res, error, req.complete ? cors : {...cors, connection: "close"});
            } else if (!res.writableEnded) {
                res.end();
            }
        }
    }

    /** Runs a request under the per-key limit on concurrent requests (429 past it; OpenAI clients retry). */
    private async limited(identity: Identity, work: () => Promise<void> | void): Promise<void> {
        // The app's own key is the machine owner's (desktop UI, every profile): only the queue bounds it.
        if (identity.admin || identity.keyId == null) return await work();
        const limit = this.host.settings.limits.maxConcurrentPerKey;
        const key = identity.keyId;
        const current = this.active.get(key) ?? 0;
        if (current >= limit)
            throw new ApiError(
                429,
                "rate_limit_error",
                `Too many concurrent requests for this key (limit ${limit}). Retry when one finishes.`,
                "rate_limit_exceeded",
                null,
                {"retry-after": "1"}
            );
        this.active.set(key, current + 1);
        try {
            await work();
        } finally {
            const left = (this.active.get(key) ?? 1) - 1;
            if (left <= 0) this.active.delete(key);
            else this.active.set(key, left);
        }
    }

    /** The body bytes this response's identity may still send; released when the response ends. */
    private byteBudget(identity: Identity, res: http.ServerResponse): ByteBudget {
        const who = identity.keyId != null ? `key:${identity.keyId}` : identity.admin ? "owner" : "anonymous";
        const limit = this.host.settings.limits.maxInFlightBytesPerKey;
        let taken = 0;
        res.once("close", () => {
            const left = (this.bytesInFlight.get(who) ?? 0) - taken;
            if (left <= 0) this.bytesInFlight.delete(who);
            else this.bytesInFlight.set(who, left);
        });
        return {
            limit,
            take: (bytes) => {
                const current = this.bytesInFlight.get(who) ?? 0;
                if (current + bytes > limit) return false;
                this.bytesInFlight.set(who, current + bytes);
                taken += bytes;
                return true;
            }
        };
    }

    private context(
        req: http.IncomingMessage,
        res: http.ServerResponse,
        url: URL,
        arrivedAt: number,
        cors: Record<string, string>,
        identity: Identity
    ): RequestContext {
        const abort = new AbortController();
        this.running.add(abort);
        res.on("close", () => this.running.delete(abort));
        const timeoutMs = this.host.settings.limits.requestTimeoutMs;
        const timeout = setTimeout(() => abort.abort(new RequestTimeoutError(timeoutMs)), timeoutMs);
        res.on("close", () => clearTimeout(timeout));
        // A client that disconnects before the response is complete frees its sequence at once.
        res.on("close", () => {
            if (!res.writableFinished) abort.abort(new ClientGoneError());
        });
        if (identity.keyId != null) this.keyed.add(identity.keyId, abort, res);
        return {
            req,
            res,
            url,
            host: this.host,
            signal: abort.signal,
            arrivedAt,
            corsHeaders: cors,
            identity,
            body: () => readJsonObject(req, this.host.settings.limits.maxBodyBytes, this.byteBudget(identity, res))
        };
    }
}

/** Requests without auth (public routes, or auth turned off) may name any profile, like the admin. */
const anonymous: Identity = {name: "anonymous", admin: true};

function isApiPath(pathname: string): boolean {
    return pathname.startsWith("/v1/") || pathname === "/v1";
}

/**
 * The route for a request, or the methods the path has (a 405's `Allow`; none: 404). HEAD is answered by
 * the GET route (Node sends its headers without the body), as uptime checkers expect.
 */
function findRoute(routes: readonly Route[], method: string, pathname: string): {route?: Route; allowedMethods: string[]} {
    const allowedMethods: string[] = [];
    for (const route of routes) {
        const matches = route.path.endsWith("/") ? pathname.startsWith(route.path) && pathname.length > route.path.length : pathname === route.path;
        if (!matches) continue;
        if (route.method === method || (method === "HEAD" && route.method === "GET")) return {route, allowedMethods: []};
        allowedMethods.push(...(route.method === "GET" ? ["GET", "HEAD"] : [route.method]));
    }
    return {allowedMethods};
}

/** What Node could not parse or did not receive in time, answered as an OpenAI-style error (then the connection closes). */
function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
    // A client that went away, or a response already under way on this connection, gets nothing more (as in Node's
    // own handler: an earlier request's finished response on a kept-alive connection does not count).
    const current = (socket as {_httpMessage?: {headersSent?: boolean}})._httpMessage;
    if (error.code === "ECONNRESET" || !socket.writable || current?.headersSent === true) {
        socket.destroy();
        return;
    }
    const [status, reason, apiError] =
        error.code === "ERR_HTTP_REQUEST_TIMEOUT"
            ? [408, "Request Timeout", new ApiError(408, "invalid_request_error", "The request (headers and body) did not arrive in time.", "request_timeout")]
            : error.code === "HPE_HEADER_OVERFLOW"
              ? [
                    431,
                    "Request Header Fields Too Large",
                    new ApiError(431, "invalid_request_error", "The request's headers are too large.", "headers_too_large")
                ]
              : [400, "Bad Request", new ApiError(400, "invalid_request_error", "Malformed HTTP request.", "bad_http_request")];
    const body = JSON.stringify(apiError.toBody());
    socket.end(
        `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`
    );
}
