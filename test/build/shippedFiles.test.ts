import fs from "node:fs";
import path from "node:path";
import {fileURLToPath} from "node:url";
import ts from "typescript";
import {describe, expect, it} from "vitest";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** What `npm run build:main` compiles into dist (and electron-builder ships), from tsconfig.build.json itself. */
function compiledFiles(): string[] {
    const parsed = ts.getParsedCommandLineOfConfigFile(
        path.join(repoRoot, "tsconfig.build.json"),
        {},
        {
            ...ts.sys,
            onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
                throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n"));
            }
        }
    );
    if (parsed == null) throw new Error("tsconfig.build.json could not be read");
    return parsed.fileNames.map((file) => path.relative(repoRoot, file).split(path.sep).join("/")).sort();
}

/** The repository files a module imports by relative path (static, dynamic and type-only imports, and re-exports). */
function relativeImports(file: string): string[] {
    const source = fs.readFileSync(path.join(repoRoot, file), "utf8");
    const specifiers = [...source.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)["'](\.{1,2}\/[^"']+)["']/g)].map((match) => match[1]!);
    return specifiers.map((specifier) => {
        const resolved = path.posix.normalize(path.posix.join(path.posix.dirname(file), specifier));
        return resolved.replace(/\.js$/, ".ts");
    });
}

/** Every file reachable by imports from the shipped entry points: the Electron main process and the CLI. */
function reachableFromEntries(): Set<string> {
    const entries = [/^main\/electron\/index\.ts$/, /^main\/cli\.ts$/];
    const pending = compiledFiles().filter((file) => entries.some((entry) => entry.test(file)));
    expect(pending).toHaveLength(entries.length);
    const seen = new Set<string>();
    while (pending.length > 0) {
        const file = pending.pop()!;
        if (seen.has(file)) continue;
        seen.add(file);
        for (const imported of relativeImports(file)) if (fs.existsSync(path.join(repoRoot, imported))) pending.push(imported);
    }
    return seen;
}

/** A module's public face that only re-exports its parts: shipped as its interface, whoever imports it. */
function isBarrel(file: string): boolean {
    const code = fs
        .readFileSync(path.join(repoRoot, file), "utf8")
        .replace(/\/\*[\s\S]*?\*\//g, "")
        .replace(/^\s*\/\/.*$/gm, "");
    const statements = code
        .split(";")
        .map((statement) => statement.trim())
        .filter((statement) => statement !== "");
    return statements.length > 0 && statements.every((statement) => /^export\s+(type\s+)?(\*|\{[^}]*\})\s+from\s+["'][^"']+["']$/.test(statement));
}

describe("what the build ships", () => {
    it("compiles no test, test helper, fixture or benchmark into dist", () => {
        const files = compiledFiles();
        expect(files.length).toBeGreaterThan(50);
        const testLike = files.filter(
            (file) =>
                /\.test\.tsx?$|(^|\/)(__tests__|testing|test|bench)\//.test(file) ||
                /from\s*["']vitest["']/.test(fs.readFileSync(path.join(repoRoot, file), "utf8"))
        );
        expect(testLike).toEqual([]);
    });

    it("compiles only what the app's entry points import (a helper used only by tests or benchmarks is left out)", () => {
        const reachable = reachableFromEntries();
        const unreachable = compiledFiles().filter((file) => !reachable.has(file) && !isBarrel(file));
        expect(unreachable).toEqual([]);
    });
});
