import fs from "node:fs";
import path from "node:path";
import {readGgufFileInfo} from "node-llama-cpp";
import {ggufHeaderProblem} from "../common/ggufHeader.js";
import {ggmlTensorBytes} from "../common/ggmlTensorBytes.js";
import type {ModelFile, ModelList, ModelStatus} from "../../shared/admin.js";
import type {AdminDeps} from "./ports.js";
import {modelsDir} from "../config/dataDir.js";
import {ownerOnlyDirMode} from "../config/ownerOnly.js";
import {saveSettingsPatch} from "../config/settings.js";
import {AdminError, invalidInput} from "./errors.js";

/** What the model operations use. */
export type ModelsDeps = Pick<AdminDeps, "models" | "dataDir" | "settings" | "log">;
import {requiredString} from "./validate.js";

/** At most this many files of the models folder are listed. */
const maxListed = 200;
/** Header keys not needed for the picker (the large tokenizer arrays), skipped while parsing. */
const ignoredGgufKeys = ["tokenizer.ggml.tokens", "tokenizer.ggml.scores", "tokenizer.ggml.token_type", "tokenizer.ggml.merges"];

interface HeaderFacts {
    architecture: string | null;
    contextLength: number | null;
    /** Why the file cannot be served (see {@link modelFileProblem}), or null. */
    problem: string | null;
}

/** Header facts by `path|size|mtime`: a file is parsed once until it changes. */
const headerCache = new Map<string, HeaderFacts>();

function modelIdOf(file: string): string {
    return path.basename(file).replace(/\.gguf$/i, "");
}

function isGgufName(name: string): boolean {
    return name.toLowerCase().endsWith(".gguf");
}

function statFile(file: string): fs.Stats | undefined {
    try {
        const stat = fs.statSync(file);
        return stat.isFile() ? stat : undefined;
    } catch {
        return undefined;
    }
}

/** Reads a GGUF file's header and tensor table (no vocabulary); throws where the reader cannot. */
function readGgufInfo(file: string) {
    return readGgufFileInfo(file, {
        readTensorInfo: true,
        sourceType: "filesystem",
        logWarnings: false,
        ignoreKeys: ignoredGgufKeys,
        spliceSplitFiles: false
    });
}

/**
 * Reads the GGUF header and tensor table (no vocabulary) for the architecture, the trained context and why
 * the file cannot be served: the picker offers an unservable file (a vocabulary-only one, one cut short) as
 * such, with its reason, instead of as a model that fails only once chosen.
 */
async function headerFacts(file: string, stat: fs.Stats): Promise<HeaderFacts> {
    const key = `${file}|${stat.size}|${stat.mtimeMs}`;
    const cached = headerCache.get(key);
    if (cached != null) return cached;
    // A header whose counts cannot be right is never given to the reader (see ggufHeaderProblem).
    const headerProblem = ggufHeaderProblem(file);
    let facts: HeaderFacts = {architecture: null, contextLength: null, problem: headerProblem ?? null};
    if (headerProblem == null) {
        try {
            const info = await readGgufInfo(file);
            const architecture = info.metadata.general?.architecture;
            const contextLength = (info.architectureMetadata as {context_length?: unknown}).context_length;
            facts = {
                architecture: typeof architecture === "string" ? architecture : null,
                contextLength: typeof contextLength === "number" && Number.isFinite(contextLength) ? contextLength : null,
                problem: weightsProblemOf(info, stat.size) ?? null
            };
        } catch (error) {
            facts = {...facts, problem: unreadableHeader(error)};
        }
    }
    if (headerCache.size > 4 * maxListed) headerCache.clear();
    headerCache.set(key, facts);
    return facts;
}

/** The `.gguf` files of the models folder (symlinks followed), sorted by name, absolute paths. */
function modelsFolderFiles(folder: string): string[] {
    let names: string[];
    try {
        names = fs.readdirSync(folder);
    } catch {
        return [];
    }
    return names
        .filter(isGgufName)
        .sort()
        .map((name) => path.join(folder, name))
        .filter((file) => statFile(file) != null)
        .slice(0, maxListed);
}

/**
 * Creates the models folder when it is missing (owner-only, as every folder the app makes in its data
 * folder): the picker tells the user to copy models into it, and a folder to be created first is a step
 * they would have to guess. A folder that exists is left as it is (it may be the user's, shared); one that
 * cannot be made (a read-only data folder) is left missing, and lists nothing.
 */
function ensureFolder(folder: string): void {
    if (fs.existsSync(folder)) return;
    try {
        fs.mkdirSync(folder, {mode: ownerOnlyDirMode});
    } catch {
        // Listed as empty: the path the picker shows still says where models go.
    }
}

/** The loaded (or loading) model and how far its load got. */
export function modelStatus(deps: ModelsDeps): ModelStatus {
    return {
        status: deps.models.status,
        progress: deps.models.status === "ok" ? 1 : deps.models.loadProgress,
        modelId: deps.models.modelPath == null ? null : modelIdOf(deps.models.modelPath),
        modelPath: deps.models.modelPath ?? null,
        error:
            deps.models.loadErrorMessage ??
            (deps.models.switchError == null
                ? null
                : `Could not switch models: ${deps.models.switchError.message}. Still serving ${modelIdOf(deps.models.modelPath ?? "")}.`)
    };
}

/** GET /kvshare/models: the models folder's GGUF files plus the current model, with sizes and header facts. */
export async function listModels(deps: ModelsDeps): Promise<ModelList> {
    const folder = modelsDir(deps.dataDir);
    ensureFolder(folder);
    const files = modelsFolderFiles(folder);
    const current = deps.models.modelPath == null ? undefined : path.resolve(deps.models.modelPath);
    // Files from elsewhere first: the loaded one, then those served earlier (`--model`, a path typed in),
    // so a switch away from the start-up model can switch back.
    const outside: Array<{file: string; source: ModelFile["source"]}> = [];
    if (current != null && !files.includes(current)) outside.push({file: current, source: "loaded"});
    for (const served of deps.models.servedPaths) if (served !== current && !files.includes(served)) outside.push({file: served, source: "served"});
    const entries = [...outside, ...files.map((file) => ({file, source: "models-folder" as const}))];
    const models: ModelFile[] = [];
    for (const {file, source} of entries) {
        const stat = statFile(file);
        if (stat == null) continue;
        models.push({
            path: file,
            id: modelIdOf(file),
            sizeBytes: stat.size,
            source,
            current: file === current,
            ...(await headerFacts(file, stat))
        });
    }
    return {modelsDir: folder, models, status: modelStatus(deps)};
}

/** 409 while a model loads: one switch at a time. */
function refuseWhileLoading(deps: ModelsDeps): void {
    if (deps.models.status === "loading" || deps.models.switching)
        throw new AdminError(
            "conflict",
            "A model is already loading, or the previous one is still finishing its requests. Wait until it is ready, then try again.",
            "model_loading",
            "path"
        );
}

/**
 * Why a model file cannot be served, found before anything is loaded or unloaded (a switch, the start-up
 * model), or undefined when it looks servable: not a GGUF file, a header that cannot be right, no weights, or cut short.
 */
export async function modelFileProblem(file: string): Promise<string | undefined> {
    return ggufHeaderProblem(file) ?? weightsProblem(file);
}

/** Why a file the GGUF reader failed on cannot be served. */
function unreadableHeader(error: unknown): string {
    return `its header cannot be read (${(error as Error).message})`;
}

/**
 * What makes a GGUF file unservable, read from its header and tensor table before anything is unloaded:
 * no weights (a vocabulary-only file), or tensor data that runs past the end of the file (truncated).
 * @returns the reason, or undefined when the file looks complete
 */
async function weightsProblem(file: string): Promise<string | undefined> {
    let info;
    try {
        info = await readGgufInfo(file);
    } catch (error) {
        return unreadableHeader(error);
    }
    return weightsProblemOf(info, fs.statSync(file).size);
}

/** {@link weightsProblem} of a header already read, of a file of `size` bytes. */
function weightsProblemOf(info: Awaited<ReturnType<typeof readGgufInfo>>, size: number): string | undefined {
    const tensors = info.tensorInfo ?? [];
    if (Number(info.tensorCount) === 0 || tensors.length === 0) return "it holds no weights (a vocabulary-only file)";
    // The last tensor's data starts at its file offset: a file cut before it is certainly truncated; one cut
    // inside it is, where the tensor's size is known from its type.
    const lastOffset = Math.max(...tensors.map((tensor) => Number(tensor.fileOffset)));
    if (lastOffset >= size) return `the file is truncated (${size} bytes; its tensor table points past the end)`;
    const dataEnd = Math.max(...tensors.map((tensor) => Number(tensor.fileOffset) + (ggmlTensorBytes(tensor.ggmlType, tensor.dimensions) ?? 0)));
    if (dataEnd > size) return `the file is truncated (${size} bytes; its weights need ${dataEnd})`;
    return undefined;
}

/**
 * PUT /kvshare/model: checks that `path` is a listed model or an absolute path to an existing GGUF
 * file, then swaps the model in the background (the old one finishes its requests and is disposed;
 * chat requests get 503 until the new one is ready). Returns the "loading" status at once; poll
 * `modelStatus` for progress. A model that loads is remembered in settings.json for the next start. The
 * model serving now may be named too: it is loaded again, with the runtime settings as they are now.
 */
export async function loadModel(deps: ModelsDeps, input: Record<string, unknown>): Promise<ModelStatus> {
    const requested = requiredString(input.path, "path", 4096);
    refuseWhileLoading(deps);
    const listed = new Set(modelsFolderFiles(modelsDir(deps.dataDir)));
    if (deps.models.modelPath != null) listed.add(path.resolve(deps.models.modelPath));
    for (const served of deps.models.servedPaths) listed.add(served);
    const isListed = listed.has(requested);
    if (!isListed) {
        if (!path.isAbsolute(requested) || !isGgufName(requested))
            throw invalidInput("'path' must be one of the listed models or an absolute path to a .gguf file.", "path", "invalid_model_path");
        if (statFile(requested) == null) throw invalidInput(`No model file at ${requested}.`, "path", "model_not_found");
    }
    const file = path.resolve(requested);
    const unusable = await modelFileProblem(file);
    if (unusable != null) throw invalidInput(`${path.basename(file)} cannot be served: ${unusable}.`, "path", "invalid_model_file");
    refuseWhileLoading(deps);

    deps.log.info(`switching model to ${file}`);
    const started = performance.now();
    void deps.models
        .loadModel(file)
        .then(() => {
            deps.log.info(`model ${modelIdOf(file)} loaded in ${Math.round(performance.now() - started)} ms`);
            deps.settings.modelPath = file;
            saveSettingsPatch(deps.dataDir, {modelPath: file});
        })
        .catch((error: unknown) =>
            deps.log.error(
                `model load failed: ${(error as Error).message}${deps.models.status === "ok" ? ` (still serving ${modelIdOf(deps.models.modelPath ?? "")})` : ""}`
            )
        );
    // deps.models.loadModel has set status "loading" synchronously, before its first await.
    return modelStatus(deps);
}
