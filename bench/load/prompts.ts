import fs from "node:fs";
import path from "node:path";

/** Paraphrase clusters (COVID-Q: the same question asked by different people) and unrelated prompts. */
export interface LoadPrompts {
    clusters: string[][];
    unrelated: string[];
}

/** Reads real questions from ../shared/data: COVID-Q classes with several phrasings, and TinyStories openings. */
export function loadPrompts(dataDir: string, maxClusters = 12): LoadPrompts {
    const csv = fs.readFileSync(path.join(dataDir, "covid_q", "final_master_dataset.csv"), "utf8");
    const byClass = new Map<string, string[]>();
    for (const row of parseCsv(csv).slice(1)) {
        const [category, id, question] = row;
        if (category == null || id == null || question == null || question.trim() === "") continue;
        const list = byClass.get(id) ?? [];
        list.push(question.trim());
        byClass.set(id, list);
    }
    const clusters = [...byClass.values()]
        .filter((list) => list.length >= 4)
        .sort((a, b) => b.length - a.length)
        .slice(0, maxClusters);
    const stories = fs
        .readFileSync(path.join(dataDir, "tinystories", "tinystories_validation_head.txt"), "utf8")
        .split(/\n\s*\n|<\|endoftext\|>/)
        .map((s) =>
            s
                .trim()
                .split(/(?<=\.)\s/)
                .slice(0, 2)
                .join(" ")
        )
        .filter((s) => s.length > 40);
    return {clusters, unrelated: stories.slice(0, 40)};
}

/** RFC 4180 CSV (quoted fields with commas, quotes and newlines). */
function parseCsv(text: string): string[][] {
    const rows: string[][] = [];
    let row: string[] = [];
    let field = "";
    let quoted = false;
    for (let i = 0; i < text.length; i++) {
        const c = text[i]!;
        if (quoted) {
            if (c === '"' && text[i + 1] === '"') {
                field += '"';
                i++;
            } else if (c === '"') quoted = false;
            else field += c;
        } else if (c === '"') quoted = true;
        else if (c === ",") {
            row.push(field);
            field = "";
        } else if (c === "\n") {
            row.push(field.replace(/\r$/, ""));
            rows.push(row);
            row = [];
            field = "";
        } else field += c;
    }
    if (field !== "" || row.length > 0) rows.push([...row, field]);
    return rows;
}
