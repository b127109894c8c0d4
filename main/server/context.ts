import type {IncomingMessage, ServerResponse} from "node:http";
import type {AppCore} from "../app/AppCore.js";
import type {Identity} from "../config/apiKeys.js";
import {issuedKeyUser} from "../sharing/engine/scopes.js";

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
    /** Who is asking (anonymous with auth off). */
    identity: Identity;
    /** Parses the body as a JSON object (limits and errors handled). */
    body(): Promise<Record<string, unknown>>;
}

export type RouteHandler = (ctx: RequestContext) => Promise<void> | void;

/**
 * Who a generation runs for: an issued key always acts as its owner; the app's own key (and a server
 * without auth) may name a desktop profile in the request's `user` field.
 */
export function requester(ctx: RequestContext, user: string | undefined): {user?: string; group?: string; revealDonor: boolean} {
    if (ctx.identity.admin) return {user, revealDonor: true};
    // Issued keys live in their own namespace, by key id: a key named like a desktop profile, or like a
    // revoked key, never shares its scope.
    return {user: issuedKeyUser(ctx.identity.keyId ?? ctx.identity.name), group: ctx.identity.group, revealDonor: false};
}
