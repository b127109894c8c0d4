import {describe, expect, it} from "vitest";
import {SnapshotRefusedError} from "./errors.js";
import {decodeSnapshot, encodeLlamaSeqState, encodeSnapshot, sha256Hex, type SnapshotHeader} from "./snapshotFormat.js";

function sample(): {bytes: Buffer; header: SnapshotHeader} {
    const tokens = [1, 5, 9, 300];
    const payload = encodeLlamaSeqState(tokens, Buffer.from("fake kv state bytes"));
    const header: SnapshotHeader = {
        modelFingerprint: "file:sha256:abc",
        contextParams: {contextSize: 512, kvCacheKeyType: "1", kvCacheValueType: "1", flashAttention: false},
        tokens,
        payloadBytes: payload.length,
        payloadSha256: sha256Hex(payload),
        payloadFormat: "llama-state-seq-v3",
        backend: "vulkan",
        createdAt: "2026-01-01T00:00:00.000Z",
        producer: {}
    };
    return {bytes: Buffer.concat(encodeSnapshot(header, payload)), header};
}

function reasonOf(fn: () => unknown): string | undefined {
    try {
        fn();
    } catch (err) {
        if (err instanceof SnapshotRefusedError) return err.reason;
        throw err;
    }
    return undefined;
}

describe("snapshot byte format", () => {
    it("round-trips", () => {
        const {bytes, header} = sample();
        const decoded = decodeSnapshot(bytes);
        expect(decoded.header).toEqual(header);
        expect(decoded.payload.length).toBe(header.payloadBytes);
    });

    it("refuses every truncation", () => {
        const {bytes} = sample();
        for (let n = 0; n < bytes.length; n++) expect(["truncated", "bad-header"]).toContain(reasonOf(() => decodeSnapshot(bytes.subarray(0, n))));
        expect(reasonOf(() => decodeSnapshot(bytes.subarray(0, bytes.length - 1)))).toBe("truncated");
    });

    it("refuses every single flipped byte", () => {
        const {bytes} = sample();
        for (let i = 0; i < bytes.length; i++) {
            const copy = Buffer.from(bytes);
            copy[i] = (copy[i] ?? 0) ^ 0x01;
            expect(
                reasonOf(() => decodeSnapshot(copy)),
                `byte ${i}`
            ).toBeDefined();
        }
    });

    it('reads format 1 (no backend recorded) as backend "unknown", and refuses format 2 without a backend', () => {
        const {bytes, header} = sample();
        const {backend: _backend, ...v1Header} = header;
        const v1 = Buffer.concat(encodeSnapshot(v1Header as SnapshotHeader, Buffer.from(bytes.subarray(bytes.length - header.payloadBytes))));
        expect(decodeSnapshot(bytes).header.backend).toBe("vulkan");
        expect(reasonOf(() => decodeSnapshot(v1))).toBe("bad-header"); // written as format 2, which requires the backend
        v1.writeUInt32LE(1, 8);
        expect(decodeSnapshot(v1).header.backend).toBe("unknown");
        v1.writeUInt32LE(3, 8);
        expect(reasonOf(() => decodeSnapshot(v1))).toBe("bad-header");
    });

    it("refuses trailing bytes and foreign files", () => {
        const {bytes} = sample();
        expect(reasonOf(() => decodeSnapshot(Buffer.concat([bytes, Buffer.from([0])])))).toBe("corrupt");
        expect(reasonOf(() => decodeSnapshot(Buffer.from("GGUF\u0003\u0000\u0000\u0000 not a snapshot")))).toBe("bad-header");
    });
});
