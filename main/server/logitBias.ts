import {ApiError} from "./errors.js";
import type {Body} from "./bodyFields.js";

/** Most entries in `logit_bias` (OpenAI's limit). */
const maxLogitBiasEntries = 300;

/**
 * `logit_bias`: token id (a string key, as JSON has them) → a number from -100 to 100 added to the token's logit;
 * -100 bans the token, as OpenAI's does in practice. Ids outside the vocabulary are refused (llama.cpp would
 * read past its logits).
 */
export function parseLogitBias(value: unknown, vocabularySize: number): Map<number, number> | undefined {
    if (value == null) return undefined;
    const param = "logit_bias";
    if (typeof value !== "object" || Array.isArray(value))
        throw ApiError.badRequest("'logit_bias' must be an object of token ids to numbers from -100 to 100.", param);
    const entries = Object.entries(value as Body);
    if (entries.length > maxLogitBiasEntries) throw ApiError.badRequest(`'logit_bias' holds at most ${maxLogitBiasEntries} tokens.`, param);
    const biases = new Map<number, number>();
    for (const [key, bias] of entries) {
        const token = Number(key);
        if (!/^\d+$/.test(key) || token >= vocabularySize)
            throw ApiError.badRequest(`'logit_bias' key '${key}' is not a token id of this model (0 to ${vocabularySize - 1}).`, param);
        if (typeof bias !== "number" || !Number.isFinite(bias) || bias < -100 || bias > 100)
            throw ApiError.badRequest(`'logit_bias' value of token ${key} must be a number from -100 to 100.`, param);
        if (bias !== 0) biases.set(token, bias);
    }
    return biases.size === 0 ? undefined : biases;
}
