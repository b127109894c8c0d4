import {describe, expect, it} from "vitest";
import type {LlamaModel} from "node-llama-cpp";
import {checkKvShiftability} from "./guards.js";

function fakeModel(arch: string, insights: {isRecurrent?: boolean; isHybrid?: boolean; swaSize?: number}, archMetadata: object = {}): LlamaModel {
    return {
        fileInsights: {isRecurrent: false, isHybrid: false, swaSize: undefined, ...insights},
        fileInfo: {metadata: {general: {architecture: arch}}, architectureMetadata: archMetadata}
    } as unknown as LlamaModel;
}

describe("checkKvShiftability", () => {
    it("accepts plain RoPE attention models", () => {
        expect(checkKvShiftability(fakeModel("llama", {})).canShift).toBe(true);
    });
    it("refuses recurrent, hybrid, M-RoPE and known unshiftable architectures with a reason", () => {
        const cases: Array<[LlamaModel, RegExp]> = [
            [fakeModel("mamba", {isRecurrent: true}), /recurrent/],
            [fakeModel("jamba", {isHybrid: true}), /hybrid/],
            [fakeModel("qwen2vl", {}), /M-RoPE/],
            [fakeModel("qwen3", {}, {rope: {dimension_sections: [16, 24, 24, 0]}}), /M-RoPE/],
            [fakeModel("deepseek2", {}), /does not support KV shifting/]
        ];
        for (const [model, reason] of cases) {
            const result = checkKvShiftability(model);
            expect(result.canShift).toBe(false);
            expect(result.reason).toMatch(reason);
        }
    });
    it("refuses sliding-window attention unless the context keeps the full cache", () => {
        const gemma = fakeModel("gemma3", {swaSize: 1024});
        expect(checkKvShiftability(gemma)).toMatchObject({canShift: false, reason: expect.stringMatching(/sliding-window/)});
        expect(checkKvShiftability(gemma, {swaFullCache: true}).canShift).toBe(true);
    });
});
