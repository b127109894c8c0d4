import {describe, expect, it} from "vitest";
import {dot, LexicalEmbedder} from "./index.js";
import {lexicalWords} from "./LexicalEmbedder.js";
import {qqpPairs, seededRandom, tinyStories} from "../../../test/support/testData.js";

const norm = (v: Float32Array): number => Math.sqrt(dot(v, v));

/**
 * The embedding as its module comment defines it, one feature string at a time: the vectors an
 * index holds were made this way, so the embedder must go on giving exactly these under its id.
 */
function specEmbedding(text: string, dimensions: number): Float32Array {
    const hash32 = (s: string): number => {
        let h = 0x811c9dc5;
        for (let i = 0; i < s.length; i++) {
            h ^= s.charCodeAt(i);
            h = Math.imul(h, 0x01000193);
        }
        h ^= h >>> 16;
        h = Math.imul(h, 0x85ebca6b);
        h ^= h >>> 13;
        h = Math.imul(h, 0xc2b2ae35);
        h ^= h >>> 16;
        return h >>> 0;
    };
    const counts = new Map<string, number>();
    const add = (feature: string): void => void counts.set(feature, (counts.get(feature) ?? 0) + 1);
    const words = lexicalWords(text);
    for (let i = 0; i < words.length; i++) {
        const w = words[i] as string;
        add(`w:${w}`);
        if (i + 1 < words.length) add(`b:${w} ${words[i + 1] as string}`);
        const padded = [...`#${w}#`];
        for (let k = 0; k + 3 <= padded.length; k++) add(`c:${padded[k]}${padded[k + 1]}${padded[k + 2]}`);
    }
    const v = new Float32Array(dimensions);
    for (const [feature, count] of counts) {
        const h = hash32(feature);
        const weight = feature.startsWith("c:") ? 0.5 : 1;
        const value = weight * (1 + Math.log(count));
        v[h % dimensions] = (v[h % dimensions] as number) + ((h & 0x80000000) !== 0 ? -value : value);
    }
    let s = 0;
    for (const x of v) s += x * x;
    if (s > 0) {
        const inv = 1 / Math.sqrt(s);
        for (let i = 0; i < v.length; i++) v[i] = (v[i] as number) * inv;
    }
    return v;
}

describe("LexicalEmbedder", () => {
    const e = new LexicalEmbedder();

    it("has a stable id and the configured dimensions", () => {
        expect(e.id).toBe("lexical-v3-384");
        expect(e.dimensions).toBe(384);
        const small = new LexicalEmbedder({dimensions: 64});
        expect(small.id).toBe("lexical-v3-64");
        expect(small.embedOne("hello world")).toHaveLength(64);
        expect(() => new LexicalEmbedder({dimensions: 3})).toThrow(RangeError);
    });

    it("ranks a paraphrase with shared words above an unrelated sentence", async () => {
        const [cat, paraphrase, unrelated] = (await e.embed([
            "The cat sat on the mat.",
            "A cat was sitting on the mat.",
            "The stock market fell sharply today."
        ])) as [Float32Array, Float32Array, Float32Array];
        expect(dot(cat, paraphrase)).toBeGreaterThan(0.5);
        expect(dot(cat, paraphrase)).toBeGreaterThan(dot(cat, unrelated) + 0.3);
    });

    it("ranks a story with a swapped name far above another story", () => {
        const a = e.embedOne("Once upon a time, there was a little girl named Lily. She loved to play outside in the park.");
        const b = e.embedOne("Once upon a time, there was a little girl named Mia. She loved to play outside in the park.");
        const c = e.embedOne("Tom had a red truck. Every morning he drove it to the farm to feed the cows.");
        expect(dot(a, b)).toBeGreaterThan(0.85);
        expect(dot(a, c)).toBeLessThan(0.3);
    });

    it("is deterministic across calls and instances, and L2-normalised", async () => {
        const text = "Why is the sky blue during the day but red at sunset?";
        const [v1] = await e.embed([text]);
        const v2 = new LexicalEmbedder().embedOne(text);
        expect(Array.from(v1 as Float32Array)).toEqual(Array.from(v2));
        expect(norm(v2)).toBeCloseTo(1, 5);
        expect(dot(v2, v2)).toBeCloseTo(1, 5);
    });

    it("is case- and Unicode-normalisation-insensitive", () => {
        // "café" typed with a combining accent vs precomposed, upper vs lower case.
        const a = e.embedOne("CAFÉ au lait");
        const b = e.embedOne("cafe\u0301 au lait");
        expect(dot(a, b)).toBeCloseTo(1, 5);
    });

    it("handles scripts without spaces through character trigrams", () => {
        const a = e.embedOne("我喜欢在公园里和我的猫一起玩");
        const b = e.embedOne("我喜欢在公园里和我的狗一起玩");
        const c = e.embedOne("股票市场今天大幅下跌");
        expect(dot(a, b)).toBeGreaterThan(dot(a, c) + 0.3);
    });

    it("gives bit for bit the vectors of the definition, on long prompts, repeats and any script", () => {
        const stories = tinyStories();
        const texts = [
            stories.slice(0, 12).join("\n\n"), // a ~2k-token prompt, words repeating
            ...stories.slice(100, 130),
            "the the the the. The THE thé the\u0301 aaaa aaaaaa a a b",
            "我喜欢在公园里和我的猫一起玩 股票市场今天大幅下跌 我喜欢",
            "emoji 😀😀 and 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 letters, ﬁ ligatures, ① ② digits: 42 42 42",
            "Deseret 𐐏𐐯𐑊𐐬 𐐷𐐯𐑊𐐬 𐐏𐐯𐑊𐐬, mixed with ASCII",
            "don't\ttab_here 3.14 A-B x2 X2\u0000end\r\n\u007fdel",
            "x",
            ""
        ];
        for (const dimensions of [384, 100, 8]) {
            const embedder = new LexicalEmbedder({dimensions});
            for (const text of texts) expect(Array.from(embedder.embedOne(text))).toEqual(Array.from(specEmbedding(text, dimensions)));
        }
    });

    it("splits text into the same words as the Unicode definition, ASCII or not", () => {
        // Words are runs of letters, digits and marks, without the accents and vowel marks a writer may leave out
        // (Latin-Greek-Cyrillic combining accents, Hebrew points, Arabic harakat, the tatweel).
        const optional = new RegExp(
            String.raw`[\u0300-\u036f\u0640[\p{Script=Hebrew}&&\p{Mn}][[\p{Script_Extensions=Arabic}&&\p{Mn}]--[\u0800-\u08ff]]]`,
            "gv"
        );
        const definition = (text: string) =>
            text
                .normalize("NFKD")
                .replace(optional, "")
                .normalize("NFKC")
                .toLowerCase()
                .replace(/[\uFE00-\uFE0F]/g, "")
                .match(/[\p{L}\p{N}\p{M}]+|[\p{Extended_Pictographic}\p{Regional_Indicator}]/gu) ?? [];
        let ascii = "";
        for (let c = 0; c < 128; c++) ascii += `${String.fromCharCode(c)}w${c}`;
        const mixed = [
            "Café naïve ﬁne ① Ⅻ",
            "the\u0301 e\u0301t\u00e9",
            "مَا عَاصِمَةُ فَرَنْسَا؟ مـــا",
            "שָׁלוֹם עוֹלָם",
            "Ñandú año йод ё",
            "한국어 हिन्दी",
            "我喜欢 公园 😀 𐐏𐐯𐑊𐐬 x😀y",
            "❤️ 👍🏽👍 👩‍👩‍👧 🇫🇷 ok✅ ©2024 e\uFE0Fe 1️⃣ #️⃣",
            "tail é",
            "é",
            "\ud800 lone surrogate \udc00"
        ];
        for (const text of [ascii, "don't\ttab_here 3.14 A-B", "  leading and trailing  ", "", "...", ...mixed, ...tinyStories().slice(0, 20)])
            expect(lexicalWords(text)).toEqual(definition(text));
    });

    it("takes a question with and without its accents or vowel marks for the same one", () => {
        const same = [
            ["ما عاصمة فرنسا؟", "مَا عَاصِمَةُ فَرَنْسَا؟"],
            ["ما عاصمة فرنسا؟", "مـــا عاصـــمة فرنســا؟"],
            ["מה השעה עכשיו", "מָה הַשָּׁעָה עַכְשָׁיו"],
            ["¿Cuál es la canción del año?", "¿Cual es la cancion del ano?"]
        ];
        for (const [a, b] of same) expect(dot(e.embedOne(a!), e.embedOne(b!)), `${a} ~ ${b}`).toBeCloseTo(1, 5);
        // Vowel signs that spell a word in other scripts stay: two Hindi words apart by one are two words.
        expect(lexicalWords("कुल काल")).toEqual(["कुल", "काल"]);
    });

    it("takes emoji for words: a prompt of emoji alone shares with its like, whatever skin tone or selector", () => {
        const pizza = e.embedOne("🍕🍕❓");
        expect(norm(pizza)).toBeCloseTo(1, 5);
        expect(dot(pizza, e.embedOne("🍕 🍕 ❓"))).toBeCloseTo(1, 5);
        expect(dot(e.embedOne("❤️ you"), e.embedOne("❤ you"))).toBeCloseTo(1, 5);
        expect(dot(e.embedOne("👍🏽 thanks"), e.embedOne("👍 thanks"))).toBeCloseTo(1, 5);
        // A keycap is one word, its selector dropped: "1️⃣" is not "1" and a mark every keycap would share.
        expect(lexicalWords("1️⃣ 2️⃣")).toEqual(["1\u20e3", "2\u20e3"]);
        expect(dot(pizza, e.embedOne("🍕🍕🍔❓"))).toBeGreaterThan(dot(pizza, e.embedOne("🚗🚕❓")) + 0.3);
    });

    it("returns a zero vector for text without words", () => {
        const v = e.embedOne("  ...  !!! ");
        expect(norm(v)).toBe(0);
        expect(e.embedOne("")).toHaveLength(384);
    });

    it("on real QQP pairs, duplicates score higher than non-duplicates and retrieve their partner", () => {
        const pairs = qqpPairs(3000);
        const dup = pairs.filter((p) => p.duplicate),
            non = pairs.filter((p) => !p.duplicate);
        const mean = (xs: typeof pairs): number => xs.reduce((s, p) => s + dot(e.embedOne(p.q1), e.embedOne(p.q2)), 0) / xs.length;
        const mDup = mean(dup),
            mNon = mean(non);
        expect(mDup).toBeGreaterThan(mNon + 0.1);

        // Top-1 retrieval of each duplicate's partner among 200 distractor questions.
        const rand = seededRandom(3);
        const distractors = Array.from({length: 200}, () => e.embedOne(pairs[Math.floor(rand() * pairs.length)]?.q2 ?? ""));
        let hits = 0;
        const sample = dup.slice(0, 300);
        for (const p of sample) {
            const q = e.embedOne(p.q1);
            const target = dot(q, e.embedOne(p.q2));
            if (distractors.every((d) => dot(q, d) < target)) hits++;
        }
        expect(hits / sample.length).toBeGreaterThan(0.6);
    });
});
