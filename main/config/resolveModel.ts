import fs from "node:fs";
import path from "node:path";
import {modelsDir} from "./dataDir.js";

export type ModelSource = "flag" | "env" | "settings" | "models-folder";

/** Raised when no model can be found; its message tells the user what to do. */
export class NoModelError extends Error {}

/**
 * Picks the model file: `--model`, else `KVSHARE_MODEL`, else the settings file, else the first
 * `.gguf` in the app's models folder (`others`: the folder's later ones, in order, for when that one cannot be served).
 */
export function resolveModelPath(options: {flag?: string; settingsPath?: string; dataDir: string; env?: NodeJS.ProcessEnv}): {
    path: string;
    source: ModelSource;
    others?: string[];
} {
    const env = options.env ?? process.env;
    const candidates: Array<[string | undefined, ModelSource]> = [
        [options.flag, "flag"],
        [env.KVSHARE_MODEL, "env"],
        [options.settingsPath, "settings"]
    ];
    for (const [candidate, source] of candidates) {
        if (candidate == null || candidate === "") continue;
        const resolved = path.resolve(candidate);
        if (!fs.existsSync(resolved)) throw new NoModelError(`The model file given by ${describe(source)} does not exist: ${resolved}`);
        if (!fs.statSync(resolved).isFile()) throw new NoModelError(`The model given by ${describe(source)} is a folder, not a GGUF file: ${resolved}`);
        return {path: resolved, source};
    }
    const folder = modelsDir(options.dataDir);
    const found = fs.existsSync(folder)
        ? fs
              .readdirSync(folder)
              .filter((name) => name.toLowerCase().endsWith(".gguf"))
              .sort()
        : [];
    if (found[0] != null) return {path: path.join(folder, found[0]), source: "models-folder", others: found.slice(1).map((name) => path.join(folder, name))};
    throw new NoModelError(
        "No model found. Do one of these:\n" +
            "  - pass a GGUF file: npm run serve -- --model /path/to/model.gguf\n" +
            "  - set KVSHARE_MODEL=/path/to/model.gguf\n" +
            `  - put a .gguf file into ${folder}\n` +
            "  - when online, download the default small chat model: npm run serve -- --download-default-model"
    );
}

function describe(source: ModelSource): string {
    switch (source) {
        case "flag":
            return "--model";
        case "env":
            return "KVSHARE_MODEL";
        case "settings":
            return "the settings file (modelPath)";
        case "models-folder":
            return "the models folder";
    }
}
