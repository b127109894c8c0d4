import type {HealthResponse} from "../../../shared/openai.js";
import type {RequestContext} from "../context.js";
import {sendJson} from "../errors.js";
import {authenticate} from "../security.js";

/**
 * GET /health: public; 200 when ready, 503 while loading or after a load failure (as llama-server).
 * The public answer is up/down only: the model and how busy the server is are for the app's own key
 * (busy slots and queue length would show other people's activity to anyone).
 */
export function getHealth(ctx: RequestContext): void {
    const health = ctx.host.health();
    const body: HealthResponse = isOwner(ctx) ? health : {status: health.status};
    sendJson(ctx.res, health.status === "ok" ? 200 : 503, body, ctx.corsHeaders);
}

function isOwner(ctx: RequestContext): boolean {
    if (!ctx.host.settings.api.auth) return true;
    try {
        return authenticate(ctx.req, ctx.host.apiKey, ctx.host.keys).admin;
    } catch {
        return false;
    }
}
