/**
 * Readers for the ../shared/data sets the sharing bench uses (formats per each folder's README) and a
 * seeded random generator, so every run asks the same requests.
 */
import {readFileSync} from "node:fs";
import path from "node:path";
import {fileURLToPath} from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
export const SHARED_DIR = path.resolve(here, "../../../shared");
export const dataFile = (...parts: string[]): string => path.join(SHARED_DIR, "data", ...parts);

/** RFC 4180 reader (quoted fields, doubled quotes, newlines inside quotes); returns rows of fields. */
export function parseDelimited(text: string, delimiter: "," | "\t"): string[][] {
    const rows: string[][] = [];
    let row: string[] = [];
    let field = "";
    let quoted = false;
    let atFieldStart = true;
    for (let i = 0; i < text.length; i++) {
        const ch = text[i];
        if (quoted) {
            if (ch === '"') {
                if (text[i + 1] === '"') {
                    field += '"';
                    i++;
                } else quoted = false;
            } else field += ch;
            continue;
        }
        if (ch === '"' && atFieldStart) {
            quoted = true;
            atFieldStart = false;
        } else if (ch === delimiter) {
            row.push(field);
            field = "";
            atFieldStart = true;
        } else if (ch === "\n" || ch === "\r") {
            if (ch === "\r" && text[i + 1] === "\n") i++;
            row.push(field);
            rows.push(row);
            row = [];
            field = "";
            atFieldStart = true;
        } else {
            field += ch;
            atFieldStart = false;
        }
    }
    if (field.length > 0 || row.length > 0) {
        row.push(field);
        rows.push(row);
    }
    return rows;
}

/** Header-keyed records of a delimited file. */
export function readRecords(file: string, delimiter: "," | "\t"): Record<string, string>[] {
    const [header, ...rows] = parseDelimited(readFileSync(file, "utf8"), delimiter);
    if (header == null) throw new Error(`${file} is empty`);
    return rows.filter((r) => r.length === header.length).map((r) => Object.fromEntries(header.map((h, i) => [h, r[i] ?? ""])));
}

export function shuffled<T>(items: readonly T[], random: () => number): T[] {
    const out = items.slice();
    for (let i = out.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [out[i], out[j]] = [out[j] as T, out[i] as T];
    }
    return out;
}

export {seededRandom as rng} from "../../test/support/seededRandom.js";
