import type {Token} from "node-llama-cpp";
import {tokenPiece} from "../../runtime/tokenPiece.js";
import type {RequestContext} from "../context.js";
import {sendJson} from "../errors.js";
import {parseDetokenizeRequest, parseTokenizeRequest} from "../validate.js";

/**
 * POST /tokenize (llama-server's): a text's token ids as the loaded model reads it, so clients can count and
 * trim prompts; `with_pieces` adds each token's text.
 */
export async function postTokenize(ctx: RequestContext): Promise<void> {
    const request = parseTokenizeRequest(await ctx.body());
    const runtime = ctx.host.requirePipeline().runtime;
    const tokens = runtime.prompts.tokenize(request.content, request.addSpecial);
    const withPieces = () => tokens.map((id, i) => ({id, piece: tokenPiece(runtime.model, id, tokens.slice(Math.max(0, i - 8), i))}));
    sendJson(ctx.res, 200, {tokens: request.withPieces ? withPieces() : tokens}, ctx.corsHeaders);
}

/** POST /detokenize (llama-server's): the text of token ids of the loaded model. */
export async function postDetokenize(ctx: RequestContext): Promise<void> {
    const body = await ctx.body();
    const runtime = ctx.host.requirePipeline().runtime;
    const tokens = parseDetokenizeRequest(body, runtime.prompts.vocabularySize);
    sendJson(ctx.res, 200, {content: runtime.model.detokenize(tokens as Token[])}, ctx.corsHeaders);
}
