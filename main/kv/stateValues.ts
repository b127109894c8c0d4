/**
 * Reads one layer's V rows out of llama.cpp sequence-state bytes (what `llama_state_seq_get_data` writes and
 * snapshots hold), so a donor's cached values can be compared with a probe's fresh ones without loading them
 * into a context. V carries no RoPE, so a donor's row is valid at any target position.
 *
 * Layout (llama.cpp `llama_context::state_seq_get_data`, then `llama_kv_cache::state_write`): u32 magic
 * 0xaf143cd8, i32 seq_id; u32 n_stream; per stream u32 cell_count, then per cell
 * i32 pos, u32 n_seq_id, i32 seq_id × n_seq_id; then u32 v_trans, u32 n_layer; per layer K (i32 type,
 * u64 row bytes, rows); per layer V: (i32 type, u64 row bytes, rows), or transposed (i32 type, u32 element
 * bytes, u32 n_embd_v, then n_embd_v columns of cell_count elements).
 */

/** ggml type ids of the V caches this reader converts. */
const ggmlF32 = 0;
const ggmlF16 = 1;
const ggmlBf16 = 30;
/** llama.cpp's sequence-state magic number. */
const seqStateMagic = 0xaf143cd8;

/** A layer's cached V rows, one per cell, with each cell's position. */
export interface LayerValues {
    readonly positions: Int32Array;
    /** `positions.length × nEmbdV` values, row per cell. */
    readonly rows: Float32Array;
    readonly nEmbdV: number;
}

/** Thrown when the bytes do not have the layout above (another memory type, a cell extension, a quantized V cache). */
export class UnsupportedStateLayoutError extends Error {}

class Reader {
    private offset = 0;
    private readonly view: DataView;
    public constructor(private readonly bytes: Uint8Array) {
        this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    }
    public u32(): number {
        this.need(4);
        const value = this.view.getUint32(this.offset, true);
        this.offset += 4;
        return value;
    }
    public i32(): number {
        this.need(4);
        const value = this.view.getInt32(this.offset, true);
        this.offset += 4;
        return value;
    }
    public u64(): number {
        this.need(8);
        const value = Number(this.view.getBigUint64(this.offset, true));
        this.offset += 8;
        return value;
    }
    public skip(bytes: number): void {
        this.need(bytes);
        this.offset += bytes;
    }
    public at(): number {
        return this.offset;
    }
    public view16(at: number, count: number): Uint16Array {
        return new Uint16Array(this.bytes.buffer.slice(this.bytes.byteOffset + at, this.bytes.byteOffset + at + 2 * count));
    }
    public view32(at: number, count: number): Float32Array {
        return new Float32Array(this.bytes.buffer.slice(this.bytes.byteOffset + at, this.bytes.byteOffset + at + 4 * count));
    }
    private need(bytes: number): void {
        if (!Number.isSafeInteger(bytes) || bytes < 0 || this.offset + bytes > this.bytes.byteLength)
            throw new UnsupportedStateLayoutError("sequence state ends early: not the KV cache layout this reader knows");
    }
}

const f16Table = (() => {
    const table = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) {
        const sign = h & 0x8000 ? -1 : 1;
        const exponent = (h >> 10) & 0x1f;
        const fraction = h & 0x3ff;
        table[h] =
            exponent === 0
                ? sign * 2 ** -14 * (fraction / 1024)
                : exponent === 31
                  ? fraction === 0
                      ? sign * Infinity
                      : NaN
                  : sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
    }
    return table;
})();

function toF32(reader: Reader, type: number, at: number, count: number): Float32Array {
    if (type === ggmlF32) return reader.view32(at, count);
    const halves = reader.view16(at, count);
    const out = new Float32Array(count);
    if (type === ggmlF16) for (let i = 0; i < count; i++) out[i] = f16Table[halves[i] as number] as number;
    else {
        const word = new Uint32Array(out.buffer);
        for (let i = 0; i < count; i++) word[i] = (halves[i] as number) << 16;
    }
    return out;
}

function elementBytes(type: number): number {
    if (type === ggmlF32) return 4;
    if (type === ggmlF16 || type === ggmlBf16) return 2;
    throw new UnsupportedStateLayoutError(`V cache of ggml type ${type}: only F32, F16 and BF16 values can be compared`);
}

/**
 * The V rows of `layer` in sequence-state bytes holding one sequence (one stream with cells). With
 * `modelLayers`, the state must hold exactly that many layers (so that its i-th layer is the model's layer i:
 * not so for caches that cover only some layers, or two caches back to back).
 */
export function readLayerValues(stateData: Uint8Array, layer: number, modelLayers?: number): LayerValues {
    const reader = new Reader(stateData);
    if (reader.u32() !== seqStateMagic) throw new UnsupportedStateLayoutError("not llama.cpp sequence-state bytes");
    reader.i32();
    const streams = reader.u32();
    for (let stream = 0; stream < streams; stream++) {
        const cells = reader.u32();
        if (cells === 0) continue;
        const positions = new Int32Array(cells);
        for (let cell = 0; cell < cells; cell++) {
            positions[cell] = reader.i32();
            const seqIds = reader.u32();
            if (seqIds > 4096) throw new UnsupportedStateLayoutError("implausible cell metadata (a cell extension?)");
            reader.skip(4 * seqIds);
        }
        const vTrans = reader.u32();
        const layers = reader.u32();
        if (vTrans > 1 || layer < 0 || layer >= layers) throw new UnsupportedStateLayoutError(`layer ${layer} not among the state's ${layers} layers`);
        if (modelLayers != null && layers !== modelLayers)
            throw new UnsupportedStateLayoutError(`the state holds ${layers} layers, the model ${modelLayers}: not one KV cache of every layer`);
        for (let il = 0; il < layers; il++) {
            reader.i32();
            reader.skip(reader.u64() * cells);
        }
        for (let il = 0; il < layers; il++) {
            const type = reader.i32();
            if (vTrans === 0) {
                const rowBytes = reader.u64();
                const size = elementBytes(type);
                if (il !== layer) {
                    reader.skip(rowBytes * cells);
                    continue;
                }
                const nEmbdV = rowBytes / size;
                const at = reader.at();
                reader.skip(rowBytes * cells);
                return {positions, rows: toF32(reader, type, at, nEmbdV * cells), nEmbdV};
            }
            const size = reader.u32();
            const nEmbdV = reader.u32();
            if (size !== elementBytes(type)) throw new UnsupportedStateLayoutError("V element size does not match its type");
            const at = reader.at();
            reader.skip(size * nEmbdV * cells);
            if (il !== layer) continue;
            const columns = toF32(reader, type, at, nEmbdV * cells);
            const rows = new Float32Array(nEmbdV * cells);
            for (let j = 0; j < nEmbdV; j++) for (let cell = 0; cell < cells; cell++) rows[cell * nEmbdV + j] = columns[j * cells + cell] as number;
            return {positions, rows, nEmbdV};
        }
    }
    throw new UnsupportedStateLayoutError("the sequence state holds no cells");
}
