/**
 * The start of a GGUF file (header and metadata), checked before node-llama-cpp's reader sees it: that reader
 * trusts every count and length in it, so a file with the magic and a garbage header (a download cut off early,
 * a renamed file), or one flipped bit in an array's length, sent it reading or allocating far past the end of
 * the file, growing to gigabytes and blocking the server for seconds to forever.
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
        return metadataProblem(new FileCursor(fd, headerBytes, size), Number(entries));
    } catch (error) {
        return `it cannot be read (${(error as Error).message})`;
    } finally {
        if (fd != null) fs.closeSync(fd);
    }
}

/** Sizes of GGUF's fixed-size value types (by type id); 8 is a string, 9 an array. */
const scalarBytes = new Map([
    [0, 1],
    [1, 1],
    [2, 2],
    [3, 2],
    [4, 4],
    [5, 4],
    [6, 4],
    [7, 1],
    [10, 8],
    [11, 8],
    [12, 8]
]);
const stringType = 8;
const arrayType = 9;

/** Reads a file forward in chunks, never past its end. */
class FileCursor {
    private buffer = Buffer.alloc(0);
    private bufferStart = 0;

    public constructor(
        private readonly fd: number,
        public at: number,
        public readonly size: number
    ) {}

    public get left(): number {
        return this.size - this.at;
    }

    /** `n` bytes from here (n ≤ 8), or null past the end. */
    public take(n: number): Buffer | null {
        if (n > this.left) return null;
        if (this.at + n > this.bufferStart + this.buffer.length) {
            const length = Math.min(1 << 20, this.size - this.at);
            this.buffer = Buffer.alloc(length);
            fs.readSync(this.fd, this.buffer, 0, length, this.at);
            this.bufferStart = this.at;
        }
        const offset = this.at - this.bufferStart;
        this.at += n;
        return this.buffer.subarray(offset, offset + n);
    }

    /** Moves `n` bytes on; false when that is past the end. */
    public skip(n: bigint): boolean {
        if (n > BigInt(this.left)) return false;
        this.at += Number(n);
        return true;
    }
}

/** Why the metadata's entries cannot be read as they say, or undefined when every length fits the file. */
function metadataProblem(cursor: FileCursor, entries: number): string | undefined {
    for (let i = 0; i < entries; i++) {
        const key = cursor.take(8);
        if (key == null || !cursor.skip(key.readBigUInt64LE())) return `its metadata entry ${i} runs past the end of the file`;
        const type = cursor.take(4);
        if (type == null) return `its metadata entry ${i} runs past the end of the file`;
        const problem = valueProblem(cursor, type.readUInt32LE(), 0);
        if (problem != null) return `its metadata entry ${i} ${problem}`;
    }
    return undefined;
}

function valueProblem(cursor: FileCursor, type: number, depth: number): string | undefined {
    const fixed = scalarBytes.get(type);
    if (fixed != null) return cursor.skip(BigInt(fixed)) ? undefined : "runs past the end of the file";
    if (type === stringType) {
        const length = cursor.take(8);
        return length != null && cursor.skip(length.readBigUInt64LE()) ? undefined : "has a string longer than the file";
    }
    if (type !== arrayType) return `has an unknown value type (${type})`;
    if (depth > 8) return "nests arrays too deep";
    const head = cursor.take(12);
    if (head == null) return "runs past the end of the file";
    const itemType = head.readUInt32LE(0);
    const count = head.readBigUInt64LE(4);
    const itemBytes = scalarBytes.get(itemType);
    // Every item takes a byte at least (a string its 8-byte length): a count the rest of the file cannot hold is wrong.
    if (count * BigInt(itemBytes ?? (itemType === stringType ? 8 : 1)) > BigInt(cursor.left))
        return `has an array of ${count} items, more than the file can hold`;
    if (itemBytes != null) return cursor.skip(count * BigInt(itemBytes)) ? undefined : "runs past the end of the file";
    for (let n = 0n; n < count; n++) {
        const problem = valueProblem(cursor, itemType, depth + 1);
        if (problem != null) return problem;
    }
    return undefined;
}
