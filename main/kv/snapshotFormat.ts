/**
 * Byte layout of a KVShare snapshot file (pure functions, no I/O):
 *
 * ```
 * 0        8 bytes   magic "KVSHSNAP"
 * 8        u32 LE    format version (2; 1 = before the backend was recorded, still read)
 * 12       u32 LE    H = byte length of the header JSON
 * 16       H bytes   header JSON (UTF-8), see {@link SnapshotHeader}
 * 16+H     32 bytes  sha256 of the header JSON bytes
 * 48+H     payload   llama.cpp sequence-state bytes ("ggsq" v3: magic, version, n_tokens, tokens, KV data)
 * ```
 * The payload is exactly what `llama_state_seq_save_file` writes, so a stock binary can still load it.
 */
import {createHash} from "node:crypto";
import {SnapshotRefusedError} from "./errors.js";

export const SNAPSHOT_MAGIC = "KVSHSNAP";
export const SNAPSHOT_FORMAT_VERSION = 2;
/** Versions this code reads: 1 lacks `backend` (read as "unknown"). */
const READABLE_VERSIONS = new Set([1, 2]);
/** `LLAMA_STATE_SEQ_MAGIC` ('ggsq') and `LLAMA_STATE_SEQ_VERSION` of the pinned llama.cpp. */
export const LLAMA_STATE_SEQ_MAGIC = 0x67677371;
export const LLAMA_STATE_SEQ_VERSION = 3;
const PREFIX_BYTES = 16;
const DIGEST_BYTES = 32;
/** Upper bound for the header JSON, to refuse garbage lengths before allocating. */
const MAX_HEADER_BYTES = 64 << 20;

/** KV-layout-relevant context parameters recorded with a snapshot. */
export interface SnapshotContextParams {
    readonly contextSize: number;
    readonly kvCacheKeyType: string;
    readonly kvCacheValueType: string;
    readonly flashAttention: boolean | "auto";
}

/** The JSON header of a snapshot. */
export interface SnapshotHeader {
    /** See {@link modelFingerprint}. */
    readonly modelFingerprint: string;
    readonly contextParams: SnapshotContextParams;
    /** Token ids whose KV the payload holds, positions 0 … n−1. */
    readonly tokens: readonly number[];
    /** Byte size of the payload. */
    readonly payloadBytes: number;
    /** sha256 (hex) of the payload. */
    readonly payloadSha256: string;
    readonly payloadFormat: "llama-state-seq-v3";
    /** ISO time of writing. */
    readonly createdAt: string;
    /**
     * The llama.cpp backend whose KV this is ("cpu", "vulkan", "cuda", "metal"; "unknown" for format 1).
     * KV bytes are backend-independent for equal KV types, so another backend restores them identically;
     * the KV types (in {@link contextParams}) must match, and llama.cpp itself refuses a different V layout.
     */
    readonly backend: string;
    /** Free-form producer information (library versions, native patch version). */
    readonly producer: Readonly<Record<string, string | number | null>>;
}

/** Build the llama.cpp sequence-state ("ggsq") bytes from tokens and raw sequence state data. */
export function encodeLlamaSeqState(tokens: readonly number[], stateData: Uint8Array): Buffer {
    const head = Buffer.alloc(12 + tokens.length * 4);
    head.writeUInt32LE(LLAMA_STATE_SEQ_MAGIC, 0);
    head.writeUInt32LE(LLAMA_STATE_SEQ_VERSION, 4);
    head.writeUInt32LE(tokens.length, 8);
    tokens.forEach((token, i) => head.writeInt32LE(token, 12 + i * 4));
    return Buffer.concat([head, stateData]);
}

/** Split llama.cpp sequence-state bytes into tokens and raw state data; throws a `corrupt` refusal. */
export function decodeLlamaSeqState(payload: Uint8Array): {tokens: number[]; stateData: Uint8Array} {
    const buf = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
    if (buf.length < 12 || buf.readUInt32LE(0) !== LLAMA_STATE_SEQ_MAGIC || buf.readUInt32LE(4) !== LLAMA_STATE_SEQ_VERSION)
        throw new SnapshotRefusedError("corrupt", "payload is not a llama.cpp sequence state (ggsq v3)");
    const count = buf.readUInt32LE(8);
    if (12 + count * 4 > buf.length) throw new SnapshotRefusedError("corrupt", "payload token count exceeds its size");
    const tokens: number[] = [];
    for (let i = 0; i < count; i++) tokens.push(buf.readInt32LE(12 + i * 4));
    return {tokens, stateData: buf.subarray(12 + count * 4)};
}

/** sha256 hex digest. */
export function sha256Hex(data: Uint8Array): string {
    return createHash("sha256").update(data).digest("hex");
}

/** Serialise header + payload into snapshot file bytes (as a list of chunks, to avoid one big copy). */
export function encodeSnapshot(header: SnapshotHeader, payload: Uint8Array): Buffer[] {
    const json = Buffer.from(JSON.stringify(header), "utf8");
    const prefix = Buffer.alloc(PREFIX_BYTES);
    prefix.write(SNAPSHOT_MAGIC, 0, "ascii");
    prefix.writeUInt32LE(SNAPSHOT_FORMAT_VERSION, 8);
    prefix.writeUInt32LE(json.length, 12);
    const digest = createHash("sha256").update(json).digest();
    return [prefix, json, digest, Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength)];
}

/**
 * Parse and verify snapshot bytes: structure, header checksum, payload size and checksum, and that the
 * payload's own token list equals the header's. Identity checks (model, context) are the caller's.
 */
export function decodeSnapshot(bytes: Buffer, filePath?: string): {header: SnapshotHeader; payload: Buffer} {
    if (bytes.length < PREFIX_BYTES) {
        if (bytes.length >= 8 && bytes.subarray(0, 8).toString("ascii") === SNAPSHOT_MAGIC)
            throw new SnapshotRefusedError("truncated", `file has ${bytes.length} bytes, shorter than the fixed prefix`, filePath);
        throw new SnapshotRefusedError("bad-header", "not a KVShare snapshot (too short)", filePath);
    }
    if (bytes.subarray(0, 8).toString("ascii") !== SNAPSHOT_MAGIC) throw new SnapshotRefusedError("bad-header", "not a KVShare snapshot (bad magic)", filePath);
    const version = bytes.readUInt32LE(8);
    if (!READABLE_VERSIONS.has(version)) throw new SnapshotRefusedError("bad-header", `unsupported snapshot format version ${version}`, filePath);
    const jsonLength = bytes.readUInt32LE(12);
    if (jsonLength === 0 || jsonLength > MAX_HEADER_BYTES) throw new SnapshotRefusedError("bad-header", `implausible header length ${jsonLength}`, filePath);
    const payloadStart = PREFIX_BYTES + jsonLength + DIGEST_BYTES;
    if (bytes.length < payloadStart)
        throw new SnapshotRefusedError("truncated", `file ends inside the header (${bytes.length} < ${payloadStart} bytes)`, filePath);
    const json = bytes.subarray(PREFIX_BYTES, PREFIX_BYTES + jsonLength);
    const digest = bytes.subarray(PREFIX_BYTES + jsonLength, payloadStart);
    if (!createHash("sha256").update(json).digest().equals(digest)) throw new SnapshotRefusedError("corrupt", "header checksum mismatch", filePath);
    let header: SnapshotHeader;
    try {
        header = JSON.parse(json.toString("utf8")) as SnapshotHeader;
    } catch {
        throw new SnapshotRefusedError("bad-header", "header JSON does not parse", filePath);
    }
    if (version === 1 && header != null && typeof header === "object") header = {...header, backend: "unknown"};
    if (!isHeaderShapeValid(header)) throw new SnapshotRefusedError("bad-header", "header JSON lacks required fields", filePath);
    const available = bytes.length - payloadStart;
    if (available < header.payloadBytes) throw new SnapshotRefusedError("truncated", `payload has ${available} of ${header.payloadBytes} bytes`, filePath);
    if (available > header.payloadBytes) throw new SnapshotRefusedError("corrupt", `${available - header.payloadBytes} unexpected trailing bytes`, filePath);
    const payload = bytes.subarray(payloadStart);
    if (sha256Hex(payload) !== header.payloadSha256) throw new SnapshotRefusedError("corrupt", "payload checksum mismatch", filePath);
    const {tokens} = decodeLlamaSeqState(payload);
    if (tokens.length !== header.tokens.length || tokens.some((token, i) => token !== header.tokens[i]))
        throw new SnapshotRefusedError("corrupt", "payload tokens differ from header tokens", filePath);
    return {header, payload};
}

function isHeaderShapeValid(header: unknown): header is SnapshotHeader {
    if (header == null || typeof header !== "object") return false;
    const h = header as Record<string, unknown>;
    const params = h.contextParams as Record<string, unknown> | undefined;
    return (
        typeof h.modelFingerprint === "string" &&
        Array.isArray(h.tokens) &&
        h.tokens.every((t) => Number.isInteger(t)) &&
        typeof h.payloadBytes === "number" &&
        Number.isSafeInteger(h.payloadBytes) &&
        h.payloadBytes >= 0 &&
        typeof h.payloadSha256 === "string" &&
        typeof h.backend === "string" &&
        h.payloadFormat === "llama-state-seq-v3" &&
        params != null &&
        typeof params === "object" &&
        typeof params.contextSize === "number" &&
        typeof params.kvCacheKeyType === "string" &&
        typeof params.kvCacheValueType === "string"
    );
}
