/**
 * Model fingerprints: the identity a KV snapshot is bound to. A snapshot is only restored into a
 * context of a model with the same fingerprint.
 */
import {createHash} from "node:crypto";
import {createReadStream} from "node:fs";
import {stat} from "node:fs/promises";
import {readGgufFileInfo} from "node-llama-cpp";

/**
 * - `"file"`: sha256 of the whole model file (exact; about 1–3 s per GB, memoised per path/size/mtime).
 * - `"metadata"`: sha256 of the GGUF metadata, tensor table and file size (fast for large files; does not
 *   distinguish two files that differ only in tensor values, e.g. two dummy-weight models of one shape).
 */
export type FingerprintMode = "file" | "metadata";

const memo = new Map<string, Promise<string>>();

/** Compute (or reuse) the fingerprint of a GGUF model file. Returns `"<mode>:sha256:<hex>"`. */
export async function modelFingerprint(modelPath: string, mode: FingerprintMode = "file"): Promise<string> {
    const info = await stat(modelPath);
    const key = `${mode}\0${modelPath}\0${info.size}\0${info.mtimeMs}`;
    let pending = memo.get(key);
    if (pending == null) {
        pending = mode === "file" ? hashFile(modelPath) : hashMetadata(modelPath, info.size);
        pending = pending.then((hex) => `${mode}:sha256:${hex}`);
        memo.set(key, pending);
        pending.catch(() => memo.delete(key));
    }
    return pending;
}

async function hashFile(filePath: string): Promise<string> {
    const hash = createHash("sha256");
    for await (const chunk of createReadStream(filePath, {highWaterMark: 4 << 20})) hash.update(chunk as Buffer);
    return hash.digest("hex");
}

async function hashMetadata(filePath: string, size: number): Promise<string> {
    const fileInfo = await readGgufFileInfo(filePath, {readTensorInfo: true, logWarnings: false});
    const tensors = (fileInfo.fullTensorInfo ?? fileInfo.tensorInfo ?? []).map((t) => [t.name, t.dimensions.map(String), t.ggmlType, String(t.offset)]);
    const canonical = JSON.stringify({version: fileInfo.version, size, metadata: fileInfo.metadata, tensors}, (_key, value: unknown) =>
        typeof value === "bigint" ? `${value}n` : value
    );
    return createHash("sha256").update(canonical).digest("hex");
}
