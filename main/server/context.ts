import type {IncomingMessage, ServerResponse} from "node:http";
import type {HealthResponse, ModelObject} from "../../shared/openai.js";
import type {Logger} from "../common/log.js";
import type {Identity, KeyStore} from "../config/apiKeys.js";
import type {Settings} from "../config/settings.js";
import type {GenerationIo, RequestPipeline} from "../service/RequestPipeline.js";
import type {GenerationJob} from "../runtime/types.js";
import {issuedKeyUser} from "../sharing/engine/scopes.js";

/** What the HTTP layer serves from; the app core provides it. */
export interface ServerHost {
    /** The live settings (an admin's change applies to the next request). */
    readonly settings: Settings;
    /** The app's own key (the machine owner's). */
    readonly apiKey: string;
    /** Keys issued to apps and people. */
    readonly keys: KeyStore;
    /** The built web UI served at `/`, when there is one. */
    readonly rendererDir: string | undefined;
    readonly log: Logger;
    /**
     * The loaded model's request pipeline.
     * @throws ModelUnavailableError while no model serves (loading, or a failed load)
     */
    requirePipeline(): RequestPipeline;
    health(): HealthResponse;
    modelObjects(): ModelObject[];
}

/** Everything a route handler gets for one request. */
export interface RequestContext {
    req: IncomingMessage;
    res: ServerResponse;
    url: URL;
    host: ServerHost;
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

export interface Route {
    method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
    /** Exact path, or a prefix ending in "/" matched with `startsWith`. */
    path: string;
    handler: RouteHandler;
    /** Public routes need no API key. */
    public?: boolean;
}

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

/**
 * What a completion route passes the pipeline besides the prompt: cancellation, arrival time, streamed text,
 * who asks, and the request's own `x_kvshare` choices.
 */
export function generationIo(
    ctx: RequestContext,
    user: string | undefined,
    body: Record<string, unknown>,
    kvshare: Pick<GenerationIo, "recompute" | "contextOverflow">,
    onText?: GenerationJob["onText"]
): GenerationIo {
    return {signal: ctx.signal, arrivedAt: ctx.arrivedAt, onText, ...requester(ctx, user), detail: body.x_kvshare_detail === true, ...kvshare};
}
