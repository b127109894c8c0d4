import type {RequestContext} from "../context.js";
import {sendJson} from "../errors.js";

/** GET /health: public; 200 when ready, 503 while loading or after a load failure (as llama-server). */
export function getHealth(ctx: RequestContext): void {
    sendJson(ctx.res, ctx.core.status === "ok" ? 200 : 503, ctx.core.health(), ctx.corsHeaders);
}
