import {describe, expect, it} from "vitest";
import {fakeRuntime} from "../testing/fakeRuntime.js";
import {listedNames, runtimeDraftFrom, runtimePatchFrom, runtimePending} from "./runtimeForm.js";

describe("runtime settings form", () => {
    it("sends only what changed, with CPU as false and any case of auto", () => {
        const draft = runtimeDraftFrom(fakeRuntime);
        expect(runtimePatchFrom(fakeRuntime, draft)).toEqual({});
        expect(runtimePatchFrom(fakeRuntime, {...draft, threads: " 4 ", contextSize: "AUTO", gpu: "cpu", gpuFallback: "patched-cpu"})).toEqual({
            threads: 4,
            contextSize: "auto",
            gpu: false,
            gpuFallback: "patched-cpu"
        });
        expect(runtimeDraftFrom({...fakeRuntime, gpu: false, contextSize: "auto"})).toMatchObject({gpu: "cpu", contextSize: "auto"});
        // Out-of-range numbers are the server's to refuse; text that is no number is named here.
        expect(runtimePatchFrom(fakeRuntime, {...draft, parallel: "0"})).toEqual({parallel: 0});
        expect(runtimePatchFrom(fakeRuntime, {...draft, parallel: "many"})).toBe("Sequences at once must be a number.");
        expect(runtimePatchFrom(fakeRuntime, {...draft, contextSize: "0x800"})).toBe('Context per sequence must be a number of tokens, or "auto".');
    });

    it("lists what waits for the next load: what differs from the values the model was loaded with", () => {
        expect(runtimePending(fakeRuntime)).toEqual([]);
        expect(runtimePending({...fakeRuntime, parallel: 2, gpu: false})).toEqual(["parallel", "gpu"]);
        expect(runtimePending({...fakeRuntime, parallel: 2, loaded: null})).toEqual([]);
        expect([listedNames([]), listedNames(["a"]), listedNames(["a", "b"]), listedNames(["a", "b", "c"])]).toEqual(["", "a", "a and b", "a, b and c"]);
    });
});
