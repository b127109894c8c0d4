/**
 * Bytes a tensor's data takes in a GGUF file, from its ggml type and dimensions: how a file whose last few bytes
 * are missing is told from a whole one before llama.cpp reads it. Only types whose block layout is fixed and
 * well known are listed; for others the size is unknown (undefined) and no such check is made.
 */

/** ggml type id → [bytes per block, elements per block]. */
const blockLayouts = new Map<number, readonly [number, number]>([
    [0, [4, 1]], // F32
    [1, [2, 1]], // F16
    [2, [18, 32]], // Q4_0
    [3, [20, 32]], // Q4_1
    [6, [22, 32]], // Q5_0
    [7, [24, 32]], // Q5_1
    [8, [34, 32]], // Q8_0
    [10, [84, 256]], // Q2_K
    [11, [110, 256]], // Q3_K
    [12, [144, 256]], // Q4_K
    [13, [176, 256]], // Q5_K
    [14, [210, 256]], // Q6_K
    [20, [18, 32]], // IQ4_NL
    [23, [136, 256]], // IQ4_XS
    [24, [1, 1]], // I8
    [25, [2, 1]], // I16
    [26, [4, 1]], // I32
    [27, [8, 1]], // I64
    [28, [8, 1]], // F64
    [30, [2, 1]] // BF16
]);

/** The tensor's data size in bytes, or undefined for a type not listed (or dimensions that do not fill whole blocks). */
export function ggmlTensorBytes(type: number, dimensions: ReadonlyArray<number | bigint>): number | undefined {
    const layout = blockLayouts.get(type);
    if (layout == null) return undefined;
    const [blockBytes, blockElements] = layout;
    const elements = dimensions.reduce<number>((product, dimension) => product * Number(dimension), 1);
    if (!Number.isSafeInteger(elements) || elements % blockElements !== 0) return undefined;
    return (elements / blockElements) * blockBytes;
}
