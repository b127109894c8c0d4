/** Where the benches that keep their figures (bench:share, bench:quality) write them: bench/results/. */
import {mkdirSync, writeFileSync} from "node:fs";
import path from "node:path";
import {fileURLToPath} from "node:url";

const resultsDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "results");

/** A run's stamp: its start in ISO time, safe in a file name (the chart shows it too). */
export const resultsStamp = (): string => new Date().toISOString().replace(/[:.]/g, "-");

/**
 * Writes `<name>.json` (non-finite numbers as strings, which JSON lacks) and `<name>.svg` to bench/results/ and says
 * so, with the run's time since `startedAt` (performance.now()).
 */
export function writeResults(name: string, json: unknown, svg: string, startedAt: number): void {
    mkdirSync(resultsDir, {recursive: true});
    const base = path.join(resultsDir, name);
    writeFileSync(`${base}.json`, JSON.stringify(json, (_k, v: unknown) => (typeof v === "number" && !Number.isFinite(v) ? String(v) : v), 2) + "\n");
    writeFileSync(`${base}.svg`, svg);
    console.log(`\nwrote ${path.relative(process.cwd(), base)}.json and .svg in ${((performance.now() - startedAt) / 1000).toFixed(1)} s`);
}
