import type {Token} from "node-llama-cpp";
import type {EmbeddingResponse} from "../../../shared/openai.js";
import type {RequestContext} from "../context.js";
import {sendJson} from "../errors.js";
import {checkModel, parseEmbeddingRequest} from "../validate.js";

/**
 * POST /v1/embeddings: unit-length vectors (as OpenAI's and llama-server's are: clients compare them with a dot
 * product), as float arrays or base64 of little-endian float32 (what the OpenAI SDKs ask for by default).
 */
export async function postEmbeddings(ctx: RequestContext): Promise<void> {
    const body = await ctx.body();
    const pipeline = ctx.host.requirePipeline();
    const runtime = pipeline.runtime;
    checkModel(body, runtime.modelId);
    const params = parseEmbeddingRequest(body, runtime.model.embeddingVectorSize, runtime.prompts.vocabularySize);
    // Stopped between inputs (the key revoked, the client gone, the time limit): no answer, and the model is free.
    const vectors = (await runtime.embed(params.inputs as Array<string | Token[]>, ctx.signal)).map(unitLength);
    const promptTokens = params.inputs.reduce((sum, input) => sum + (typeof input === "string" ? runtime.prompts.countTokens(input) : input.length), 0);
    const response: EmbeddingResponse = {
        object: "list",
        data: vectors.map((vector, index) => ({
            object: "embedding",
            index,
            embedding: params.encoding === "base64" ? toBase64Float32(vector) : vector
        })),
        model: runtime.modelId,
        usage: {prompt_tokens: promptTokens, total_tokens: promptTokens}
    };
    sendJson(ctx.res, 200, response, ctx.corsHeaders);
}

function unitLength(vector: readonly number[]): number[] {
    const norm = Math.sqrt(vector.reduce((sum, x) => sum + x * x, 0));
    return norm === 0 ? [...vector] : vector.map((x) => x / norm);
}

function toBase64Float32(vector: readonly number[]): string {
    const floats = Float32Array.from(vector);
    return Buffer.from(floats.buffer, floats.byteOffset, floats.byteLength).toString("base64");
}
