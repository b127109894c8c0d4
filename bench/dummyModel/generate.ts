/**
 * Dummy-weight GGUF generator (llama architecture) for realistic-size timing, the way vLLM benchmarks
 * with dummy weights. The tokenizer metadata (`tokenizer.*`) is copied byte for byte from a real GGUF
 * (default: the llama-spm vocab-only file in ../shared/models/vocab-only), the weights are random Q8_0
 * blocks (norms are 1.0 in F32). Output text is gibberish; speed is what a trained model of that
 * shape would have.
 *
 * CLI:  npx tsx bench/dummyModel/generate.ts [--layers 24] [--embd 1024] [--ff 4608] [--heads 16] [--kv-heads 8] [--out file]
 */
import {createHash, randomBytes} from "node:crypto";
import {closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync} from "node:fs";
import os from "node:os";
import path from "node:path";
import {fileURLToPath} from "node:url";

/** Shape of the generated model. */
export interface DummyModelShape {
    readonly layers: number;
    readonly embd: number;
    readonly ff: number;
    readonly heads: number;
    readonly kvHeads: number;
    readonly contextLength: number;
}

/** About 0.48 B parameters with the 32k llama-spm vocabulary. */
export const DEFAULT_SHAPE: DummyModelShape = {layers: 24, embd: 1024, ff: 4608, heads: 16, kvHeads: 8, contextLength: 4096};

const here = path.dirname(fileURLToPath(import.meta.url));
export const DEFAULT_TOKENIZER_GGUF = path.resolve(here, "../../../shared/models/vocab-only/ggml-vocab-llama-spm.gguf");

const GGUF_MAGIC = 0x46554747; // "GGUF"
const ALIGNMENT = 32;
const enum T {
    U8 = 0,
    I8 = 1,
    U16 = 2,
    I16 = 3,
    U32 = 4,
    I32 = 5,
    F32 = 6,
    BOOL = 7,
    STRING = 8,
    ARRAY = 9,
    U64 = 10,
    I64 = 11,
    F64 = 12
}
const GGML_F32 = 0;
const GGML_Q8_0 = 8;
const Q8_BLOCK = 32;
const Q8_BLOCK_BYTES = 34;
const SCALAR_SIZE: Record<number, number> = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8};

/** Raw metadata entries of a GGUF file (key and the exact bytes of type + value). */
function readRawMetadata(file: string): {key: string; raw: Buffer; type: number}[] {
    const buf = readFileSync(file);
    if (buf.readUInt32LE(0) !== GGUF_MAGIC) throw new Error(`${file} is not a GGUF file`);
    const version = buf.readUInt32LE(4);
    if (version < 2) throw new Error(`GGUF v${version} not supported`);
    const kvCount = Number(buf.readBigUInt64LE(16));
    let off = 24;
    const readString = (): string => {
        const len = Number(buf.readBigUInt64LE(off));
        const s = buf.toString("utf8", off + 8, off + 8 + len);
        off += 8 + len;
        return s;
    };
    const skipValue = (type: number): void => {
        if (type === T.STRING) {
            off += 8 + Number(buf.readBigUInt64LE(off));
        } else if (type === T.ARRAY) {
            const elemType = buf.readUInt32LE(off);
            const count = Number(buf.readBigUInt64LE(off + 4));
            off += 12;
            if (elemType === T.STRING || elemType === T.ARRAY) for (let i = 0; i < count; i++) skipValue(elemType);
            else off += count * (SCALAR_SIZE[elemType] ?? 0);
        } else {
            const size = SCALAR_SIZE[type];
            if (size == null) throw new Error(`unknown GGUF value type ${type}`);
            off += size;
        }
    };
    const out: {key: string; raw: Buffer; type: number}[] = [];
    for (let i = 0; i < kvCount; i++) {
        const key = readString();
        const start = off;
        const type = buf.readUInt32LE(off);
        off += 4;
        skipValue(type);
        out.push({key, raw: Buffer.from(buf.subarray(start, off)), type});
    }
    return out;
}

class Writer {
    readonly chunks: Buffer[] = [];
    length = 0;
    push(b: Buffer): void {
        this.chunks.push(b);
        this.length += b.length;
    }
    u32(v: number): void {
        const b = Buffer.alloc(4);
        b.writeUInt32LE(v);
        this.push(b);
    }
    u64(v: number): void {
        const b = Buffer.alloc(8);
        b.writeBigUInt64LE(BigInt(v));
        this.push(b);
    }
    f32(v: number): void {
        const b = Buffer.alloc(4);
        b.writeFloatLE(v);
        this.push(b);
    }
    str(s: string): void {
        const b = Buffer.from(s, "utf8");
        this.u64(b.length);
        this.push(b);
    }
    kvU32(key: string, v: number): void {
        this.str(key);
        this.u32(T.U32);
        this.u32(v);
    }
    kvF32(key: string, v: number): void {
        this.str(key);
        this.u32(T.F32);
        this.f32(v);
    }
    kvStr(key: string, v: string): void {
        this.str(key);
        this.u32(T.STRING);
        this.str(v);
    }
}

interface TensorSpec {
    name: string;
    dims: number[]; // ggml order: ne0 first
    type: number;
}

function tensorBytes(t: TensorSpec): number {
    const n = t.dims.reduce((a, b) => a * b, 1);
    return t.type === GGML_F32 ? n * 4 : (n / Q8_BLOCK) * Q8_BLOCK_BYTES;
}

function tensorsFor(shape: DummyModelShape, vocab: number): TensorSpec[] {
    const headDim = shape.embd / shape.heads;
    const kvDim = headDim * shape.kvHeads;
    const q = (name: string, ...dims: number[]): TensorSpec => ({name, dims, type: GGML_Q8_0});
    const f = (name: string, ...dims: number[]): TensorSpec => ({name, dims, type: GGML_F32});
    const list: TensorSpec[] = [q("token_embd.weight", shape.embd, vocab)];
    for (let i = 0; i < shape.layers; i++)
        list.push(
            f(`blk.${i}.attn_norm.weight`, shape.embd),
            q(`blk.${i}.attn_q.weight`, shape.embd, shape.embd),
            q(`blk.${i}.attn_k.weight`, shape.embd, kvDim),
            q(`blk.${i}.attn_v.weight`, shape.embd, kvDim),
            q(`blk.${i}.attn_output.weight`, shape.embd, shape.embd),
            f(`blk.${i}.ffn_norm.weight`, shape.embd),
            q(`blk.${i}.ffn_gate.weight`, shape.embd, shape.ff),
            q(`blk.${i}.ffn_up.weight`, shape.embd, shape.ff),
            q(`blk.${i}.ffn_down.weight`, shape.ff, shape.embd)
        );
    list.push(f("output_norm.weight", shape.embd), q("output.weight", shape.embd, vocab));
    return list;
}

/** Parameter count of a shape with a given vocabulary size. */
export function parameterCount(shape: DummyModelShape, vocab: number): number {
    return tensorsFor(shape, vocab).reduce((sum, t) => sum + t.dims.reduce((a, b) => a * b, 1), 0);
}

/** f16 bits of a small positive number (normal range only). */
function f16Bits(value: number): number {
    const f32 = new Float32Array([value]);
    const bits = new Uint32Array(f32.buffer)[0] ?? 0;
    const exp = ((bits >>> 23) & 0xff) - 127 + 15;
    const mant = (bits >>> 13) & 0x3ff;
    return (exp << 10) | mant;
}

/**
 * Write a dummy model to `outFile` (atomically). Returns the parameter count.
 * Weights: Q8_0 blocks with scale ≈ 2.7e-4 and uniform int8 quants (std ≈ 0.02), tiled from a 16 MiB
 * random template at a random block offset per tensor.
 */
export function writeDummyModel(outFile: string, shape: DummyModelShape = DEFAULT_SHAPE, tokenizerGguf = DEFAULT_TOKENIZER_GGUF): number {
    const source = readRawMetadata(tokenizerGguf);
    const tokenizerEntries = source.filter((e) => e.key.startsWith("tokenizer."));
    const tokensEntry = tokenizerEntries.find((e) => e.key === "tokenizer.ggml.tokens");
    if (tokensEntry == null) throw new Error(`${tokenizerGguf} has no tokenizer.ggml.tokens`);
    const vocab = Number(tokensEntry.raw.readBigUInt64LE(8)); // type u32, elem type u32, count u64
    const tensors = tensorsFor(shape, vocab);

    const header = new Writer();
    const kvs = new Writer();
    let kvCount = 0;
    const arch = "llama";
    kvs.kvStr("general.architecture", arch);
    kvCount++;
    kvs.kvStr("general.name", `kvshare-dummy-${shape.layers}x${shape.embd}`);
    kvCount++;
    kvs.kvU32("general.file_type", 7);
    kvCount++; // MOSTLY_Q8_0
    kvs.kvU32("general.alignment", ALIGNMENT);
    kvCount++;
    kvs.kvU32(`${arch}.context_length`, shape.contextLength);
    kvCount++;
    kvs.kvU32(`${arch}.embedding_length`, shape.embd);
    kvCount++;
    kvs.kvU32(`${arch}.block_count`, shape.layers);
    kvCount++;
    kvs.kvU32(`${arch}.feed_forward_length`, shape.ff);
    kvCount++;
    kvs.kvU32(`${arch}.attention.head_count`, shape.heads);
    kvCount++;
    kvs.kvU32(`${arch}.attention.head_count_kv`, shape.kvHeads);
    kvCount++;
    kvs.kvU32(`${arch}.rope.dimension_count`, shape.embd / shape.heads);
    kvCount++;
    kvs.kvU32(`${arch}.vocab_size`, vocab);
    kvCount++;
    kvs.kvF32(`${arch}.attention.layer_norm_rms_epsilon`, 1e-5);
    kvCount++;
    kvs.kvF32(`${arch}.rope.freq_base`, 10000);
    kvCount++;
    for (const entry of tokenizerEntries) {
        kvs.str(entry.key);
        kvs.push(entry.raw);
        kvCount++;
    }
    const infos = new Writer();
    let offset = 0;
    const offsets: number[] = [];
    for (const t of tensors) {
        infos.str(t.name);
        infos.u32(t.dims.length);
        for (const d of t.dims) infos.u64(d);
        infos.u32(t.type);
        infos.u64(offset);
        offsets.push(offset);
        offset += Math.ceil(tensorBytes(t) / ALIGNMENT) * ALIGNMENT;
    }
    header.u32(GGUF_MAGIC);
    header.u32(3);
    header.u64(tensors.length);
    header.u64(kvCount);
    const headBytes = Buffer.concat([...header.chunks, ...kvs.chunks, ...infos.chunks]);
    const dataStart = Math.ceil(headBytes.length / ALIGNMENT) * ALIGNMENT;

    const templateBlocks = ((16 << 20) / Q8_BLOCK_BYTES) | 0;
    const template = randomBytes(templateBlocks * Q8_BLOCK_BYTES);
    const scale = f16Bits(2.7e-4);
    for (let b = 0; b < templateBlocks; b++) template.writeUInt16LE(scale, b * Q8_BLOCK_BYTES);

    mkdirSync(path.dirname(outFile), {recursive: true});
    const tmp = `${outFile}.tmp-${process.pid}`;
    const fd = openSync(tmp, "w");
    try {
        let pos = 0;
        const write = (b: Buffer): void => {
            writeSync(fd, b, 0, b.length, pos);
            pos += b.length;
        };
        write(headBytes);
        write(Buffer.alloc(dataStart - headBytes.length));
        tensors.forEach((t, i) => {
            const start = dataStart + (offsets[i] ?? 0);
            if (pos < start) write(Buffer.alloc(start - pos));
            const size = tensorBytes(t);
            if (t.type === GGML_F32) {
                const ones = Buffer.alloc(size);
                for (let j = 0; j < size; j += 4) ones.writeFloatLE(1, j);
                write(ones);
                return;
            }
            let left = size;
            let from = Math.floor(Math.random() * templateBlocks) * Q8_BLOCK_BYTES;
            while (left > 0) {
                const n = Math.min(left, template.length - from);
                write(template.subarray(from, from + n));
                left -= n;
                from = 0;
            }
        });
        const end = dataStart + offset;
        if (pos < end) write(Buffer.alloc(end - pos));
        fsyncSync(fd);
    } finally {
        closeSync(fd);
    }
    renameSync(tmp, outFile);
    return parameterCount(shape, vocab);
}

/** Cache directory for generated models (outside the repository). */
export function benchCacheDir(): string {
    const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache");
    return path.join(base, "kvshare-bench");
}

/** Path of the cached dummy model for `shape`, generating it on first use. */
export function ensureDummyModel(shape: DummyModelShape = DEFAULT_SHAPE, tokenizerGguf = DEFAULT_TOKENIZER_GGUF): {file: string; generatedMs: number | null} {
    const id = createHash("sha256")
        .update(JSON.stringify({shape, tok: readFileSync(tokenizerGguf).length, v: 1}))
        .digest("hex")
        .slice(0, 16);
    const file = path.join(benchCacheDir(), `dummy-llama-${shape.layers}x${shape.embd}-q8_0-${id}.gguf`);
    if (existsSync(file)) return {file, generatedMs: null};
    const t = performance.now();
    writeDummyModel(file, shape, tokenizerGguf);
    return {file, generatedMs: performance.now() - t};
}

if (process.argv[1] != null && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
    const arg = (name: string, def: number): number => {
        const i = process.argv.indexOf(`--${name}`);
        return i >= 0 ? Number(process.argv[i + 1]) : def;
    };
    const shape: DummyModelShape = {
        layers: arg("layers", DEFAULT_SHAPE.layers),
        embd: arg("embd", DEFAULT_SHAPE.embd),
        ff: arg("ff", DEFAULT_SHAPE.ff),
        heads: arg("heads", DEFAULT_SHAPE.heads),
        kvHeads: arg("kv-heads", DEFAULT_SHAPE.kvHeads),
        contextLength: DEFAULT_SHAPE.contextLength
    };
    const outIndex = process.argv.indexOf("--out");
    const out = outIndex >= 0 ? process.argv[outIndex + 1] : undefined;
    if (out != null) {
        const params = writeDummyModel(out, shape);
        console.log(`wrote ${out}: ${(params / 1e9).toFixed(3)} B parameters`);
    } else {
        const {file, generatedMs} = ensureDummyModel(shape);
        console.log(`${file} (${generatedMs == null ? "cached" : `generated in ${(generatedMs / 1000).toFixed(1)} s`})`);
    }
}
