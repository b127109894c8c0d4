import type {Token} from "node-llama-cpp";
import {contextTokens, isWholeText, rawTokenBytes, tokenPiece} from "../../runtime/tokenPiece.js";
import type {RequestContext} from "../context.js";
import {sendJson} from "../errors.js";
import {parseDetokenizeRequest, parseTokenizeRequest} from "../validate.js";

/**
 * POST /tokenize (llama-server's): a text's token ids as the loaded model reads it, so clients can count and
 * trim prompts; `with_pieces` adds each token's text (or, for a token holding part of a character, its bytes in a list).
 */
export async function postTokenize(ctx: RequestContext): Promise<void> {
    const request = parseTokenizeRequest(await ctx.body());
    const runtime = ctx.host.requirePipeline().runtime;
    const tokens = runtime.prompts.tokenize(request.content, request.addSpecial);
    // A token holding part of a character is given as its bytes (a list, as llama-server gives a piece that is not
    // whole text): its text alone would be a replacement character, and the pieces could not make up the text.
    const piece = (id: Token, i: number): string | number[] => {
        const bytes = rawTokenBytes(runtime.model, id);
        return bytes != null && !isWholeText(bytes) ? bytes : tokenPiece(runtime.model, id, tokens.slice(Math.max(0, i - contextTokens), i));
    };
    const withPieces = () => tokens.map((id, i) => ({id, piece: piece(id, i)}));
    sendJson(ctx.res, 200, {tokens: request.withPieces ? withPieces() : tokens}, ctx.corsHeaders);
}

/** POST /detokenize (llama-server's): the text of token ids of the loaded model. */
export async function postDetokenize(ctx: RequestContext): Promise<void> {
    const body = await ctx.body();
    const runtime = ctx.host.requirePipeline().runtime;
    const tokens = parseDetokenizeRequest(body, runtime.prompts.vocabularySize);
    sendJson(ctx.res, 200, {content: runtime.model.detokenize(tokens as Token[])}, ctx.corsHeaders);
}
