import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {startTestServer, type TestServer} from "../support/testServer.js";

let server: TestServer;
beforeAll(async () => {
    server = await startTestServer();
});
afterAll(async () => {
    await server.close();
});

const post = async (path: string, json: unknown, noAuth = false) => {
    const res = await server.api(path, {method: "POST", json, noAuth});
    return {status: res.status, body: (await res.json()) as Record<string, unknown>};
};

describe("/tokenize and /detokenize", () => {
    it("count a prompt as the completion route does, and give its text back", async () => {
        const text = "Once upon a time, Lily found a red ball.";
        const withStart = await post("/tokenize", {content: text, add_special: true});
        expect(withStart.status).toBe(200);
        const completion = await server.client.completions.create({model: "stories260K", prompt: text, max_tokens: 1});
        expect((withStart.body.tokens as number[]).length).toBe(completion.usage!.prompt_tokens);

        // Both read back as the text (with the start token the text is tokenized as it follows a special token).
        const plain = (await post("/tokenize", {content: text})).body.tokens as number[];
        expect((await post("/detokenize", {tokens: plain})).body).toEqual({content: text});
        expect((await post("/detokenize", {tokens: (withStart.body.tokens as number[]).slice(1)})).body).toEqual({content: text});

        const pieces = (await post("/tokenize", {content: text, with_pieces: true})).body.tokens as Array<{id: number; piece: string}>;
        expect(pieces.map((p) => p.id)).toEqual(plain);
        expect(pieces.map((p) => p.piece).join("")).toBe(text);
    });

    it("give a byte of a character split over tokens as that byte, so the pieces make up the text in any script", async () => {
        for (const text of ["日本", "مرحبا", "café 👩🏽‍⚕️ ok"]) {
            const pieces = (await post("/tokenize", {content: text, with_pieces: true})).body.tokens as Array<{id: number; piece: string | number[]}>;
            const bytes = pieces.flatMap((p) => (typeof p.piece === "string" ? [...Buffer.from(p.piece, "utf8")] : p.piece));
            expect(Buffer.from(bytes).toString("utf8"), JSON.stringify(pieces)).toBe(text);
            expect(
                pieces.some((p) => Array.isArray(p.piece)),
                text
            ).toBe(true);
            expect(
                pieces.every((p) => typeof p.piece !== "string" || !p.piece.includes("\uFFFD")),
                text
            ).toBe(true);
        }
    });

    it("refuse what is not text or not a token of this model, and need a key", async () => {
        for (const [path, json, param] of [
            ["/tokenize", {}, "content"],
            ["/tokenize", {content: 5}, "content"],
            ["/tokenize", {content: "a", add_special: "yes"}, "add_special"],
            ["/detokenize", {tokens: "1 2"}, "tokens"],
            ["/detokenize", {tokens: [1, 2.5]}, "tokens"],
            ["/detokenize", {tokens: [-1]}, "tokens"],
            ["/detokenize", {tokens: [512]}, "tokens"]
        ] as const) {
            const {status, body} = await post(path, json);
            expect(status, JSON.stringify(json)).toBe(400);
            expect((body.error as {param: string}).param).toBe(param);
        }
        expect((await post("/tokenize", {content: "a"}, true)).status).toBe(401);
        // Still serving after the refused ids.
        expect((await post("/detokenize", {tokens: [511]})).status).toBe(200);
    });
});
