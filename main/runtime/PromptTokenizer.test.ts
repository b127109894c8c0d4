/**
 * Prompt tokens as llama.cpp tokenizes a whole prompt string (llama-server's tokens for the same request), on
 * the real stories260K: its SentencePiece vocabulary gives a word its word-start space after the template's
 * markup too, where tokenizing the pieces apart spelled the first word out in fragments.
 */
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {getLlama, LlamaLogLevel, LlamaText, SpecialToken, SpecialTokensText, type LlamaModel, type Token} from "node-llama-cpp";
import {STORIES_260K} from "../../test/support/testData.js";
import {PromptBuilder} from "./PromptBuilder.js";
import {PromptTokenizer} from "./PromptTokenizer.js";

let model: LlamaModel;
beforeAll(async () => {
    const llama = await getLlama({gpu: false, build: "never", logLevel: LlamaLogLevel.error, maxThreads: 1});
    model = await llama.loadModel({modelPath: STORIES_260K});
});
afterAll(async () => {
    await model?.dispose();
});

/** llama.cpp's own tokens of the whole prompt string: BOS, then the text with special tokens parsed. */
const wholeString = (text: string): Token[] => [model.tokens.bos!, ...model.tokenize(text, true)];

describe("prompt tokens", () => {
    it("are llama.cpp's tokens of the whole prompt string, for chats and text completions", () => {
        const prompts = new PromptBuilder(model);
        for (const content of ["Lily saw a big dog in the park.", "Tell me a story about Tom and Sue.", "Once upon a time"]) {
            expect(prompts.chat([{role: "user", content}]).tokens, content).toEqual(wholeString(`[INST] ${content} [/INST] `));
            expect(prompts.completion(content).tokens).toEqual(wholeString(content));
        }
        // The first word keeps its word-start token: "Once" is one token, not O-n-ce.
        expect(prompts.completion("Once upon a time").tokens).toHaveLength(5);
    });

    it("finds special tokens in the template's markup, never in message text", () => {
        const tokenizer = new PromptTokenizer(model);
        const eos = model.tokens.eos!;
        const tokens = tokenizer.tokens(LlamaText([new SpecialToken("BOS"), new SpecialTokensText("Hi</s>"), "and </s> stays text"]));
        expect(tokens.filter((t) => t === eos)).toHaveLength(1);
        expect(tokens.indexOf(eos)).toBe(tokens.length - model.tokenize("and </s> stays text", false).length - 1);
    });
});
