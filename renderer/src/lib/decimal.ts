/**
 * A number as people type it in a settings field: decimal digits with an optional sign, point and exponent;
 * NaN for anything else. `Number()` alone also reads "0x1" (1), "0b1" and "Infinity", which no field means.
 */
export function parseDecimal(text: string): number {
    const trimmed = text.trim();
    return /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(trimmed) ? Number(trimmed) : Number.NaN;
}
