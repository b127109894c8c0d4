import type {Token} from "node-llama-cpp";
import {describe, expect, it} from "vitest";
import {TextStreamer} from "./TextStreamer.js";

// A byte-level vocabulary: each token is one UTF-8 byte, so multi-byte characters span tokens.
const decode = (tokens: readonly Token[]) => Buffer.from(tokens as readonly number[] as number[]).toString("utf8");
const tokensOf = (text: string) => [...Buffer.from(text, "utf8")] as Token[];

function streamAll(text: string, stops: string[]) {
    const streamer = new TextStreamer((tokens) => decode(tokens), stops);
    const pieces: string[] = [];
    let stopped = false;
    for (const token of tokensOf(text)) {
        const step = streamer.push(token);
        if (step.text !== "") pieces.push(step.text);
        if (step.stopped) {
            stopped = true;
            break;
        }
    }
    const rest = streamer.flush();
    if (rest !== "") pieces.push(rest);
    return {pieces, text: pieces.join(""), stopped};
}

describe("TextStreamer", () => {
    it("never splits a multi-byte character", () => {
        const {pieces, text} = streamAll("héllo 👋 wörld", []);
        expect(text).toBe("héllo 👋 wörld");
        for (const piece of pieces) expect(piece).not.toContain("\uFFFD");
    });

    it("cuts at a stop string and never shows part of it", () => {
        const {pieces, text, stopped} = streamAll("The end.\nUser: more", ["\nUser:"]);
        expect(stopped).toBe(true);
        expect(text).toBe("The end.");
        expect(pieces.join("|")).not.toContain("\n");
    });

    it("releases held text that turned out not to be a stop string", () => {
        const {text, stopped} = streamAll("a\nUse it well", ["\nUser:"]);
        expect(stopped).toBe(false);
        expect(text).toBe("a\nUse it well");
    });

    it("stops at the earliest of several stop strings", () => {
        expect(streamAll("one two three", ["three", "two"]).text).toBe("one ");
    });
});
