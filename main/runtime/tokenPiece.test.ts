import path from "node:path";
import {getLlama, LlamaLogLevel, type LlamaModel} from "node-llama-cpp";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {STORIES_260K} from "../../test/support/testData.js";
import {isWholeText, rawTokenBytes, tokenBytes, tokenPiece} from "./tokenPiece.js";

// Vocabularies of both kinds that cut characters into tokens: SentencePiece's byte fallback (`<0xE6>`), and
// byte-level BPE (GPT-2's: every byte spelled as one printable character).
const vocabulary = (name: string) => path.resolve(path.dirname(STORIES_260K), "vocab-only", name);
let models: Record<"spm" | "gpt2", LlamaModel>;
beforeAll(async () => {
    const llama = await getLlama({gpu: false, build: "never", logLevel: LlamaLogLevel.error, maxThreads: 1});
    models = {
        spm: await llama.loadModel({modelPath: vocabulary("ggml-vocab-llama-spm.gguf"), vocabOnly: true}),
        gpt2: await llama.loadModel({modelPath: vocabulary("ggml-vocab-gpt-2.gguf"), vocabOnly: true})
    };
});
afterAll(async () => {
    for (const model of Object.values(models ?? {})) await model.dispose();
});

describe("a token's bytes", () => {
    it("make up the text again in any script, for both kinds of vocabulary, where a token's text cannot", () => {
        for (const kind of ["spm", "gpt2"] as const)
            for (const text of ["日本", "مرحبا", "café 👩🏽‍⚕️ ok", "Once upon a time"]) {
                const model = models[kind];
                const tokens = model.tokenize(text);
                const bytes = tokens.flatMap((token, i) => tokenBytes(model, token, tokenPiece(model, token, tokens.slice(0, i))));
                // SentencePiece writes a leading space before the first word.
                expect(Buffer.from(bytes).toString("utf8").replace(/^ /, ""), `${kind}: ${text}`).toBe(text);
            }
        // Some tokens of each kind hold a piece of a character: their raw bytes are not whole text.
        for (const kind of ["spm", "gpt2"] as const) {
            const model = models[kind];
            expect(
                model.tokenize("日本 café 👩🏽‍⚕️ 🦒").some((token) => {
                    const raw = rawTokenBytes(model, token);
                    return raw != null && !isWholeText(raw);
                }),
                kind
            ).toBe(true);
        }
        // A byte-level token that is a whole word reads back as that word.
        const word = models.gpt2.tokenize(" upon");
        expect(word).toHaveLength(1);
        expect(Buffer.from(rawTokenBytes(models.gpt2, word[0]!)!).toString("utf8")).toBe(" upon");
    });
});
