import type {IncomingMessage, ServerResponse} from "node:http";
import type {AppCore} from "../app/AppCore.js";

/** Everything a route handler gets for one request. */
export interface RequestContext {
    req: IncomingMessage;
    res: ServerResponse;
    url: URL;
    core: AppCore;
    /** Aborted when the client goes away before the response is complete. */
    signal: AbortSignal;
    arrivedAt: number;
    /** CORS headers to add to the response (empty for same-origin requests). */
    corsHeaders: Record<string, string>;
    /** Parses the body as a JSON object (limits and errors handled). */
    body(): Promise<Record<string, unknown>>;
}

export type RouteHandler = (ctx: RequestContext) => Promise<void> | void;
