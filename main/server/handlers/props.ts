import {SAMPLING_DEFAULTS} from "../../../shared/openai.js";
import type {RequestContext} from "../context.js";
import {sendJson} from "../errors.js";

/**
 * GET /props: llama-server's server properties, for clients written against it (its web UI reads the context size and
 * the slots here): the loaded model's context per sequence, sequences, name and chat template, what the sampling
 * defaults are, and the build. Any key, as `/v1/models`; the model file's path is left out (it names the owner's folders).
 */
export function getProps(ctx: RequestContext): void {
    const runtime = ctx.host.requirePipeline().runtime;
    sendJson(
        ctx.res,
        200,
        {
            default_generation_settings: {
                n_ctx: runtime.contextSize,
                // What a request that sets none of them is sampled with.
                params: SAMPLING_DEFAULTS
            },
            total_slots: runtime.pool.size,
            model_alias: runtime.modelId,
            chat_template: runtime.prompts.templateName,
            modalities: {vision: false, audio: false},
            build_info: `node-llama-cpp, ${runtime.build.backend} build${runtime.build.patched ? ", KVShare-patched" : ", stock (no KV sharing)"}`
        },
        ctx.corsHeaders
    );
}
