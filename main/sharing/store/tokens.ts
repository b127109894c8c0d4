/**
 * Token ids on disk: a BLOB of little-endian int32 (4 bytes per token), and the sha256 of exactly
 * those bytes as the exact-hit key. Fixed byte order so a cache dir stays valid on any host.
 */
import {createHash} from "node:crypto";
import os from "node:os";

const littleEndianHost = os.endianness() === "LE";

/** Token ids → BLOB of int32 little-endian. */
export function encodeTokens(tokens: ArrayLike<number>): Buffer {
    const buf = Buffer.allocUnsafe(tokens.length * 4);
    if (littleEndianHost) {
        // Int32Array writes host order, which is LE here: one bulk copy instead of a call per token.
        new Int32Array(buf.buffer, buf.byteOffset, tokens.length).set(tokens);
    } else {
        for (let i = 0; i < tokens.length; i++) buf.writeInt32LE(tokens[i] as number, i * 4);
    }
    return buf;
}

/** BLOB of int32 little-endian → token ids (a fresh, aligned array). */
export function decodeTokens(blob: Uint8Array): Int32Array {
    if (blob.byteLength % 4 !== 0) throw new RangeError(`token blob length ${blob.byteLength} is not a multiple of 4`);
    const count = blob.byteLength / 4;
    const out = new Int32Array(count);
    if (littleEndianHost) {
        new Uint8Array(out.buffer).set(blob);
    } else {
        const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
        for (let i = 0; i < count; i++) out[i] = view.getInt32(i * 4, true);
    }
    return out;
}

/** sha256 (hex) of the int32-LE encoding of `tokens`: the key for exact hits. */
export function hashTokens(tokens: ArrayLike<number>): string {
    return createHash("sha256").update(encodeTokens(tokens)).digest("hex");
}
