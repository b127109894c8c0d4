import type {HealthResponse} from "../../../shared/openai.js";
import type {RequestContext} from "../context.js";
import {sendJson} from "../errors.js";

/** GET /health: public; 200 when ready, 503 while loading or after a load failure (as llama-server). */
export function getHealth(ctx: RequestContext): void {
    const {core} = ctx;
    const pool = core.inference?.runtime.pool;
    const body: HealthResponse = {
        status: core.status,
        model: core.inference?.runtime.modelId ?? null,
        slots_idle: pool?.idleCount ?? 0,
        slots_busy: pool == null ? 0 : pool.size - pool.idleCount,
        queued: pool?.queuedCount ?? 0
    };
    sendJson(ctx.res, core.status === "ok" ? 200 : 503, body, ctx.corsHeaders);
}
