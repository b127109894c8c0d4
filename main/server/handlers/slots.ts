import type {RequestContext} from "../context.js";
import {sendJson} from "../errors.js";

/**
 * GET /slots: llama-server's slot list, for clients and dashboards written against it: each sequence's id, context,
 * whether a request is being answered on it, and the tokens of KV it keeps (`n_past`). Any key, as `/props`. What
 * llama-server adds beyond that (a slot's prompt, its sampling) is left out: it would show one person's words to
 * another key.
 */
export function getSlots(ctx: RequestContext): void {
    const runtime = ctx.host.requirePipeline().runtime;
    sendJson(
        ctx.res,
        200,
        runtime.pool.slots().map((slot) => ({id: slot.id, n_ctx: runtime.contextSize, is_processing: slot.busy, n_past: slot.tokens})),
        ctx.corsHeaders
    );
}
