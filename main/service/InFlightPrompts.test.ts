/** Prompts being prefilled, and the requests waiting for their KV. */
import {describe, expect, it} from "vitest";
import type {Token} from "node-llama-cpp";
import {InFlightPrompts} from "./InFlightPrompts.js";

const tokens = (n: number, from = 10) => Array.from({length: n}, (_, i) => (from + i) as Token);

describe("InFlightPrompts", () => {
    it("counts the requests waiting for any prompt's KV, until it is ready, their wait ends or they are stopped", async () => {
        const inFlight = new InFlightPrompts();
        const a = inFlight.add("global", tokens(40));
        const b = inFlight.add("group:ward", tokens(40, 100));
        expect(inFlight.waiting).toBe(0);
        const stop = new AbortController();
        const forA = inFlight.waitFor(a, 60_000, new AbortController().signal);
        const stopped = inFlight.waitFor(b, 60_000, stop.signal).catch((error: unknown) => error);
        const timedOut = inFlight.waitFor(b, 1, new AbortController().signal);
        expect(inFlight.waiting).toBe(3);
        await timedOut;
        expect(inFlight.waiting).toBe(2);
        stop.abort(new Error("client gone"));
        expect(await stopped).toBeInstanceOf(Error);
        expect(inFlight.waiting).toBe(1);
        inFlight.remove(a);
        await forA;
        expect(inFlight.waiting).toBe(0);
    });

    it("finds the prompt in flight of the same scope that lets a prompt reuse the most", () => {
        const inFlight = new InFlightPrompts();
        inFlight.add("global", tokens(30));
        const longer = inFlight.add("global", tokens(60));
        const other = inFlight.add("global", tokens(40, 300));
        inFlight.add("group:ward", tokens(80));
        expect(inFlight.bestFor("global", tokens(70), 20, 8)).toBe(longer);
        expect(inFlight.bestFor("global", tokens(35, 300), 20, 8)).toBe(other);
        expect(inFlight.bestFor("global", tokens(70), 65, 8)).toBeUndefined();
        expect(inFlight.bestFor("group:other", tokens(70), 20, 8)).toBeUndefined();
    });
});
