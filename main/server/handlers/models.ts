import type {ModelList, ModelObject} from "../../../shared/openai.js";
import type {RequestContext} from "../context.js";
import {ApiError, sendJson} from "../errors.js";

function modelObject(ctx: RequestContext): ModelObject {
    ctx.host.requirePipeline();
    return ctx.host.modelObjects()[0]!;
}

/** GET /v1/models */
export function getModels(ctx: RequestContext): void {
    const list: ModelList = {object: "list", data: [modelObject(ctx)]};
    sendJson(ctx.res, 200, list, ctx.corsHeaders);
}

/** GET /v1/models/{id} */
export function getModel(ctx: RequestContext): void {
    const model = modelObject(ctx);
    const id = decodeURIComponent(ctx.url.pathname.replace(/^(\/v1)?\/models\//, ""));
    // Requests may name the model with or without its file extension; so may this route.
    if (id !== model.id && id !== `${model.id}.gguf`)
        throw new ApiError(404, "not_found_error", `The model '${id}' does not exist.`, "model_not_found", "model");
    sendJson(ctx.res, 200, model, ctx.corsHeaders);
}
