/**
 * The fixed start of a GGUF file, checked before node-llama-cpp's reader sees it: that reader trusts the
 * header's counts, so a file with the magic and a garbage header (a download cut off early, a renamed file)
 * sent it reading millions of entries past the end, growing to gigabytes and never answering.
 */
import fs from "node:fs";

/** GGUF versions llama.cpp reads. */
const supportedVersions = new Set([2, 3]);
/** The smallest metadata entry: a key's length (8 bytes) and one character, a type (4), one byte of value. */
const minEntryBytes = 14;
/** The smallest tensor entry: a name's length (8) and one character, a dimension count (4), one dimension (8), a type (4), an offset (8). */
const minTensorBytes = 33;
/** Magic, version, tensor count, metadata count. */
const headerBytes = 24;

/** Why a file's GGUF header cannot be right, or undefined when its counts fit the file. */
export function ggufHeaderProblem(file: string): string | undefined {
    let fd: number | undefined;
    try {
        fd = fs.openSync(file, "r");
        const size = fs.fstatSync(fd).size;
        const header = Buffer.alloc(headerBytes);
        const read = fs.readSync(fd, header, 0, headerBytes, 0);
        if (read < 4 || header.toString("latin1", 0, 4) !== "GGUF") return "it is not a GGUF file";
        if (read < headerBytes) return `its header is cut short (${size} bytes)`;
        const version = header.readUInt32LE(4);
        if (!supportedVersions.has(version)) return `its GGUF version (${version}) is not one llama.cpp reads (2 or 3)`;
        const tensors = header.readBigUInt64LE(8);
        const entries = header.readBigUInt64LE(16);
        if (BigInt(headerBytes) + tensors * BigInt(minTensorBytes) + entries * BigInt(minEntryBytes) > BigInt(size))
            return `its header counts ${tensors} tensors and ${entries} metadata entries, more than its ${size} bytes can hold`;
        return undefined;
    } catch (error) {
        return `it cannot be read (${(error as Error).message})`;
    } finally {
        if (fd != null) fs.closeSync(fd);
    }
}
