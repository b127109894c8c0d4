/**
 * Styled math letters as their own characters. KaTeX writes `\mathbb{R}` as `<mi mathvariant="double-struck">R</mi>`,
 * but browsers that lay out MathML Core (Chromium, Electron) ignore `mathvariant` but for "normal": ℝ showed as an
 * italic R. Unicode has the styled alphabets (Mathematical Alphanumeric Symbols), with a few letters that were
 * encoded earlier elsewhere (ℝ, ℂ, ℌ, ℒ…).
 */
interface Alphabet {
    upper: number;
    lower?: number;
    digits?: number;
    /** Letters encoded before the block, where the block leaves a hole. */
    earlier?: Readonly<Record<string, number>>;
}

const alphabets: Readonly<Record<string, Alphabet>> = {
    bold: {upper: 0x1d400, lower: 0x1d41a, digits: 0x1d7ce},
    italic: {upper: 0x1d434, lower: 0x1d44e, earlier: {h: 0x210e}},
    "bold-italic": {upper: 0x1d468, lower: 0x1d482},
    script: {
        upper: 0x1d49c,
        lower: 0x1d4b6,
        earlier: {B: 0x212c, E: 0x2130, F: 0x2131, H: 0x210b, I: 0x2110, L: 0x2112, M: 0x2133, R: 0x211b, e: 0x212f, g: 0x210a, o: 0x2134}
    },
    "bold-script": {upper: 0x1d4d0, lower: 0x1d4ea},
    fraktur: {upper: 0x1d504, lower: 0x1d51e, earlier: {C: 0x212d, H: 0x210c, I: 0x2111, R: 0x211c, Z: 0x2128}},
    "double-struck": {upper: 0x1d538, lower: 0x1d552, digits: 0x1d7d8, earlier: {C: 0x2102, H: 0x210d, N: 0x2115, P: 0x2119, Q: 0x211a, R: 0x211d, Z: 0x2124}},
    "bold-fraktur": {upper: 0x1d56c, lower: 0x1d586},
    "sans-serif": {upper: 0x1d5a0, lower: 0x1d5ba, digits: 0x1d7e2},
    "bold-sans-serif": {upper: 0x1d5d4, lower: 0x1d5ee, digits: 0x1d7ec},
    monospace: {upper: 0x1d670, lower: 0x1d68a, digits: 0x1d7f6}
};

/** `text` in the styled alphabet `variant`; null where the variant has none (its letters are left as they are). */
export function styledLetters(text: string, variant: string): string | null {
    const alphabet = alphabets[variant];
    if (alphabet == null) return null;
    return [...text]
        .map((char) => {
            const earlier = alphabet.earlier?.[char];
            if (earlier != null) return String.fromCodePoint(earlier);
            const code = char.codePointAt(0)!;
            if (code >= 65 && code <= 90) return String.fromCodePoint(alphabet.upper + code - 65);
            if (code >= 97 && code <= 122 && alphabet.lower != null) return String.fromCodePoint(alphabet.lower + code - 97);
            if (code >= 48 && code <= 57 && alphabet.digits != null) return String.fromCodePoint(alphabet.digits + code - 48);
            return char;
        })
        .join("");
}

/**
 * KaTeX's MathML with styled identifiers, numbers and texts written in styled letters, marked "normal" (so that a
 * single letter is not set in italics over its own style). Their text is KaTeX's escaped text: letters and digits
 * change, entities stay as they are.
 */
export function withStyledLetters(mathMl: string): string {
    return mathMl.replace(/<(mi|mn|mtext) mathvariant="([a-z-]+)">([^<]*)<\/\1>/g, (whole, tag: string, variant: string, text: string) => {
        const styled = text.includes("&") ? null : styledLetters(text, variant);
        return styled == null ? whole : `<${tag} mathvariant="normal">${styled}</${tag}>`;
    });
}
