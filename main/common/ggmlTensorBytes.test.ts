import {readGgufFileInfo} from "node-llama-cpp";
import fs from "node:fs";
import path from "node:path";
import {fileURLToPath} from "node:url";
import {describe, expect, it} from "vitest";
import {ggmlTensorBytes} from "./ggmlTensorBytes.js";

const models = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../shared/models");

describe("ggmlTensorBytes", () => {
    it("makes a real model's tensor data end exactly at the end of its file (F32 and Q8_0 weights)", async () => {
        for (const name of ["stories260K.gguf", "TinyStories-656K-Q8_0.gguf"]) {
            const file = path.join(models, name);
            const info = await readGgufFileInfo(file, {readTensorInfo: true, sourceType: "filesystem", logWarnings: false});
            const ends = (info.tensorInfo ?? []).map((tensor) => Number(tensor.fileOffset) + ggmlTensorBytes(tensor.ggmlType, tensor.dimensions)!);
            expect(ends.every(Number.isFinite), name).toBe(true);
            expect(Math.max(...ends), name).toBe(fs.statSync(file).size);
        }
    });

    it("knows nothing of an unlisted type or a shape that does not fill its blocks", () => {
        expect(ggmlTensorBytes(16, [256])).toBeUndefined();
        expect(ggmlTensorBytes(8, [33])).toBeUndefined();
        expect(ggmlTensorBytes(14, [256, 2])).toBe(420);
    });
});
