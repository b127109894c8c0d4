/**
 * KV snapshots: a served prompt's KV cache saved with a verified header, written atomically, and
 * restored only after the model fingerprint, context layout and checksums have been checked.
 * A file that fails any check is never handed to llama.cpp.
 */
import {randomBytes} from "node:crypto";
import {writeFileAtomically} from "../config/writeFileAtomic.js";
import {readFile, rm, writeFile} from "node:fs/promises";
import {tmpdir} from "node:os";
import path from "node:path";
import {GgmlType, type LlamaContext, type LlamaContextSequence, type Token} from "node-llama-cpp";
import {SnapshotRefusedError} from "./errors.js";
import {adoptNativeSequenceState, contextLockScope, sequenceEvaluateLockScope, sequenceIdOf, withNlcLocks} from "./internals.js";
import {getKvEditingSupport, patchedAddonOf} from "./nativeSupport.js";
import {
    decodeLlamaSeqState,
    decodeSnapshot,
    encodeLlamaSeqState,
    encodeSnapshot,
    sha256Hex,
    type SnapshotContextParams,
    type SnapshotHeader
} from "./snapshotFormat.js";

/** A verified snapshot held in memory, ready to be restored. */
export interface KvSnapshot {
    readonly header: SnapshotHeader;
    /** Token ids whose KV the snapshot holds. */
    readonly tokens: readonly number[];
    /** The llama.cpp sequence-state bytes (verified). */
    readonly payload: Buffer;
    /** File it was read from, if any. */
    readonly filePath?: string;
}

/** What a snapshot must match to be accepted. */
export interface SnapshotExpectations {
    /** Fingerprint of the model the snapshot will be restored into (see `modelFingerprint`). */
    readonly modelFingerprint: string;
    /** Context it will be restored into; checks cache types, flash attention and size. */
    readonly context?: LlamaContext;
}

/**
 * A KV cache type as snapshots record it: the ggml type name ("F16", "Q8_0", …). A context created without
 * one uses llama.cpp's default, F16; format-1 headers recorded that as "undefined".
 */
export function kvTypeName(type: GgmlType | string | undefined): string {
    if (type == null || type === "undefined") return "F16";
    return typeof type === "number" ? (GgmlType[type] ?? String(type)) : type;
}

/** The llama.cpp backend a context computes on, as snapshot headers record it. */
export function backendOf(context: LlamaContext): string {
    const gpu = context.model.llama.gpu;
    return gpu === false ? "cpu" : gpu;
}

/** The KV-layout-relevant parameters of a context. */
export function snapshotContextParams(context: LlamaContext): SnapshotContextParams {
    return {
        contextSize: context.contextSize,
        kvCacheKeyType: kvTypeName(context.kvCacheKeyType),
        kvCacheValueType: kvTypeName(context.kvCacheValueType),
        flashAttention: context.flashAttention
    };
}

/**
 * Capture the KV of `sequence` (all of its evaluated tokens) as llama.cpp sequence-state bytes.
 * Patched binary: copied in memory. Stock binary: via `saveStateToFile` to a temporary file.
 */
export async function captureSequenceState(sequence: LlamaContextSequence): Promise<{tokens: number[]; payload: Buffer}> {
    const addon = patchedAddonOf(sequence.context);
    if (addon != null)
        return withNlcLocks([sequenceEvaluateLockScope(sequence), contextLockScope(sequence.context)], () => {
            const tokens = sequence.contextTokens.slice();
            const stateData = addon.getSequenceStateData(sequenceIdOf(sequence));
            return {tokens, payload: encodeLlamaSeqState(tokens, stateData)};
        });
    const tmpFile = path.join(tmpdir(), `kvshare-state-${process.pid}-${randomBytes(6).toString("hex")}.bin`);
    try {
        await sequence.saveStateToFile(tmpFile);
        const payload = await readFile(tmpFile);
        return {tokens: decodeLlamaSeqState(payload).tokens, payload};
    } finally {
        await rm(tmpFile, {force: true});
    }
}

/** A sequence's KV captured in memory, ready to be written as a snapshot file (see {@link writeSnapshot}). */
export interface CapturedState {
    readonly tokens: number[];
    readonly payload: Buffer;
    readonly contextParams: SnapshotContextParams;
    /** See {@link backendOf}. */
    readonly backend: string;
    readonly kvSharePatchVersion: number | null;
}

/** Capture a sequence's KV and the context parameters a snapshot records, without touching the disk. */
export async function captureForSnapshot(sequence: LlamaContextSequence): Promise<CapturedState> {
    const {tokens, payload} = await captureSequenceState(sequence);
    const patched = patchedAddonOf(sequence.context) != null;
    return {
        tokens,
        payload,
        contextParams: snapshotContextParams(sequence.context),
        backend: backendOf(sequence.context),
        kvSharePatchVersion: patched ? getKvEditingSupport(sequence.context).patchVersion : null
    };
}

/**
 * Write captured KV to `filePath` with a header (model fingerprint, context parameters, token ids,
 * payload size and sha256). Written atomically: temp file, fsync, rename, directory fsync.
 */
export async function writeSnapshot(options: {
    readonly captured: CapturedState;
    readonly filePath: string;
    readonly modelFingerprint: string;
    /** Extra producer information stored in the header. */
    readonly producer?: Readonly<Record<string, string | number | null>>;
    /** The header, when the caller built it already ({@link buildSnapshotHeader}). */
    readonly header?: SnapshotHeader;
}): Promise<SnapshotHeader> {
    const header = options.header ?? buildSnapshotHeader(options);
    await writeFileAtomically(options.filePath, encodeSnapshot(header, options.captured.payload));
    return header;
}

/**
 * The verified header of captured KV (payload checksum included), as {@link writeSnapshot} writes it:
 * with the captured state it makes a {@link KvSnapshot} usable from memory before the file exists.
 */
export function buildSnapshotHeader(options: {
    readonly captured: CapturedState;
    readonly modelFingerprint: string;
    readonly producer?: Readonly<Record<string, string | number | null>>;
}): SnapshotHeader {
    const {captured, modelFingerprint} = options;
    return {
        modelFingerprint,
        contextParams: captured.contextParams,
        tokens: captured.tokens,
        payloadBytes: captured.payload.length,
        payloadSha256: sha256Hex(captured.payload),
        payloadFormat: "llama-state-seq-v3",
        backend: captured.backend,
        createdAt: new Date().toISOString(),
        producer: {
            kvSharePatchVersion: captured.kvSharePatchVersion,
            ...options.producer
        }
    };
}

/**
 * Read and verify a snapshot file. Throws {@link SnapshotRefusedError} unless magic, version, header
 * checksum, size, payload checksum, model fingerprint and (when a context is given) KV layout all match.
 */
export async function readSnapshot(filePath: string, expect: SnapshotExpectations): Promise<KvSnapshot> {
    let bytes: Buffer;
    try {
        bytes = await readFile(filePath);
    } catch (err) {
        throw new SnapshotRefusedError("unreadable", String((err as Error).message), filePath);
    }
    const {header, payload} = decodeSnapshot(bytes, filePath);
    checkIdentity(header, expect, filePath);
    return {header, tokens: header.tokens, payload, filePath};
}

function checkIdentity(header: SnapshotHeader, expect: SnapshotExpectations, filePath?: string): void {
    if (header.modelFingerprint !== expect.modelFingerprint)
        throw new SnapshotRefusedError("foreign-model", `made for model ${header.modelFingerprint}, expected ${expect.modelFingerprint}`, filePath);
    const context = expect.context;
    if (context == null) return;
    const want = snapshotContextParams(context);
    const have = {
        ...header.contextParams,
        kvCacheKeyType: kvTypeName(header.contextParams.kvCacheKeyType),
        kvCacheValueType: kvTypeName(header.contextParams.kvCacheValueType)
    };
    if (have.kvCacheKeyType !== want.kvCacheKeyType || have.kvCacheValueType !== want.kvCacheValueType)
        throw new SnapshotRefusedError(
            "incompatible-context",
            `KV cache types ${have.kvCacheKeyType}/${have.kvCacheValueType} (made on ${header.backend}) differ from ${want.kvCacheKeyType}/${want.kvCacheValueType} of this context (${backendOf(context)}): the KV bytes would be misread`,
            filePath
        );
    if (typeof have.flashAttention === "boolean" && typeof want.flashAttention === "boolean" && have.flashAttention !== want.flashAttention)
        throw new SnapshotRefusedError("incompatible-context", "flash attention setting differs (V cache layout)", filePath);
    if (header.tokens.length > want.contextSize)
        throw new SnapshotRefusedError("too-long", `${header.tokens.length} tokens exceed the context size ${want.contextSize}`, filePath);
}

/**
 * Restore a verified snapshot into `sequence`, replacing its content, and set node-llama-cpp's token
 * state so normal evaluation continues after the snapshot's tokens.
 * Throws {@link SnapshotRefusedError} (`rejected-by-runtime`) if llama.cpp refuses the data.
 */
export async function restoreSnapshot(sequence: LlamaContextSequence, snapshot: KvSnapshot): Promise<void> {
    if (snapshot.tokens.length > sequence.contextSize)
        throw new SnapshotRefusedError("too-long", `${snapshot.tokens.length} tokens exceed the context size ${sequence.contextSize}`, snapshot.filePath);
    if (patchedAddonOf(sequence.context) != null) {
        await withNlcLocks([sequenceEvaluateLockScope(sequence)], async () => {
            await sequence.clearHistory();
            // on a refusal the native sequence is left empty, as node-llama-cpp's state already says
            await withNlcLocks([contextLockScope(sequence.context)], () => restoreIntoSequenceIdLocked(sequence.context, sequenceIdOf(sequence), snapshot));
            adoptNativeSequenceState(sequence, snapshot.tokens as readonly Token[]);
        });
        return;
    }
    const tmpFile = path.join(tmpdir(), `kvshare-state-${process.pid}-${randomBytes(6).toString("hex")}.bin`);
    try {
        await writeFile(tmpFile, snapshot.payload, {mode: 0o600});
        await sequence.clearHistory(); // node-llama-cpp's loader keeps the old content's checkpoints; its eraser drops them
        await sequence.loadStateFromFile(tmpFile, {acceptRisk: true});
    } catch (err) {
        throw new SnapshotRefusedError(
            "rejected-by-runtime",
            `${(err as Error).message} (snapshot made on ${snapshot.header.backend}, restoring on ${backendOf(sequence.context)})`,
            snapshot.filePath
        );
    } finally {
        await rm(tmpFile, {force: true});
    }
}

/**
 * Patched binary only, caller holds the context lock: replace the KV of native sequence `sequenceId`
 * with the snapshot's (left empty when llama.cpp refuses it). Does not touch node-llama-cpp's state: the
 * caller emptied the sequence with `clearHistory()` first and adopts the tokens after (internals.ts).
 */
export function restoreIntoSequenceIdLocked(context: LlamaContext, sequenceId: number, snapshot: KvSnapshot): void {
    const addon = patchedAddonOf(context);
    if (addon == null) throw new Error("restoreIntoSequenceIdLocked needs the patched binary");
    const {stateData} = decodeLlamaSeqState(snapshot.payload);
    addon.removeTokenCellsFromSequence(sequenceId, 0, -1);
    const read = addon.setSequenceStateData(sequenceId, stateData);
    if (read !== stateData.length) {
        addon.removeTokenCellsFromSequence(sequenceId, 0, -1);
        throw new SnapshotRefusedError(
            "rejected-by-runtime",
            `llama.cpp accepted ${read} of ${stateData.length} state bytes (snapshot made on ${snapshot.header.backend}, restoring on ${backendOf(context)}: a different KV layout, e.g. V transposition with and without flash attention)`,
            snapshot.filePath
        );
    }
}
