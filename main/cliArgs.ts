import {parseArgs} from "node:util";
import {gpuBackends, gpuFallbacks, type GpuFallback, type GpuSetting} from "../shared/llamaBackend.js";
import {runtimeRanges} from "../shared/settings.js";
import type {ServeOptions} from "./app/startServer.js";
import {unsafeAuthReason} from "./config/addresses.js";
import {SettingsValidationError, validateSettingsPatch} from "./config/validateSettings.js";

export const serveUsage = `Usage: kvshare serve [options]

  --model PATH           GGUF model file (else KVSHARE_MODEL, the settings file, or the models folder)
  --data-dir DIR         settings, API key, cache (else KVSHARE_DATA_DIR or the per-user data folder)
  --host HOST            address to listen on (default 127.0.0.1; LAN only by explicit choice)
  --port N               port (default 8080; 0 picks a free one)
  --threads N            llama.cpp CPU threads
  --parallel N           sequences served at once (default 4)
  --ctx-size N           context tokens per sequence (default 2048)
  --no-auth              do not require the API key (loopback addresses only; not recommended)
  --cors-origin ORIGIN   allow a browser origin to call the API (repeatable)
  --allowed-host NAME    accept this Host name besides loopback and the listen address (repeatable)
  --cpu                  never use a GPU (same as --gpu cpu)
  --gpu BACKEND          auto (default: the GPU found), cpu, vulkan, cuda or metal; always the
                         KVShare-patched build of that backend when \`npm run build:native\` made one
  --gpu-fallback POLICY  a GPU without a patched build: stock-gpu (default: its stock binary, exact
                         prefix reuse only) or patched-cpu (KV sharing on the CPU)
  --verbose              log llama.cpp warnings
  --download-default-model  download a small default chat model into the models folder (needs internet)
`;

export interface ServeCommand extends ServeOptions {
    downloadDefaultModel: boolean;
    help: boolean;
}

/** Parses `serve` flags into server options; unknown flags and bad numbers are errors. */
export function parseServeArgs(argv: string[]): ServeCommand {
    const {values} = parseServeFlags(argv);
    const overrides: NonNullable<ServeOptions["overrides"]> = {};
    const api: NonNullable<typeof overrides.api> = {};
    if (values.host != null) api.host = values.host;
    if (values.port != null) api.port = integer("--port", values.port, 0, 65535);
    if (values["no-auth"]) api.auth = false;
    if (values["cors-origin"] != null) api.corsOrigins = values["cors-origin"];
    if (values["allowed-host"] != null) api.allowedHosts = values["allowed-host"];
    if (values["no-auth"] && values.host != null) {
        const unsafe = unsafeAuthReason({host: values.host, auth: false});
        if (unsafe != null) throw new Error(`--no-auth with --host ${values.host}: ${unsafe}`);
    }
    checkApiFlags(api);
    if (Object.keys(api).length > 0) overrides.api = api;
    if (values.threads != null) overrides.threads = integer("--threads", values.threads, ...runtimeRanges.threads);
    if (values.parallel != null) overrides.parallel = integer("--parallel", values.parallel, ...runtimeRanges.parallel);
    if (values["ctx-size"] != null) overrides.contextSize = integer("--ctx-size", values["ctx-size"], ...runtimeRanges.contextSize);
    if (values.gpu != null) overrides.gpu = gpuSetting(values.gpu);
    if (values.cpu) overrides.gpu = false;
    if (values["gpu-fallback"] != null) {
        if (!(gpuFallbacks as readonly string[]).includes(values["gpu-fallback"]))
            throw new Error(`--gpu-fallback must be one of ${gpuFallbacks.join(", ")}; got '${values["gpu-fallback"]}'.`);
        overrides.gpuFallback = values["gpu-fallback"] as GpuFallback;
    }
    return {
        modelPath: values.model,
        dataDir: values["data-dir"],
        overrides,
        verbose: values.verbose ?? false,
        downloadDefaultModel: values["download-default-model"] ?? false,
        help: values.help ?? false
    };
}

function gpuSetting(value: string): GpuSetting {
    if (value === "auto") return "auto";
    if (value === "cpu" || value === "false") return false;
    if ((gpuBackends as readonly string[]).includes(value)) return value as GpuSetting;
    throw new Error(`--gpu must be one of auto, cpu, ${gpuBackends.join(", ")}; got '${value}'.`);
}

/** The settings panel's own checks, on the API flags (an origin with a path would refuse every request from it). */
function checkApiFlags({auth: _auth, ...api}: NonNullable<NonNullable<ServeOptions["overrides"]>["api"]>): void {
    const flags: Record<string, string> = {
        "api.host": "--host",
        "api.port": "--port",
        "api.corsOrigins": "--cors-origin",
        "api.allowedHosts": "--allowed-host"
    };
    try {
        validateSettingsPatch({api});
    } catch (error) {
        if (!(error instanceof SettingsValidationError)) throw error;
        const flag = flags[error.param];
        throw new Error(flag == null ? error.message : error.message.replace(error.param, flag), {cause: error});
    }
}

function integer(flag: string, value: string, min: number, max: number): number {
    // Decimal digits only: Number() would take "" (and "  ") as 0 and "0x50" as 80.
    const n = /^\s*-?\d+\s*$/.test(value) ? Number(value) : NaN;
    if (!Number.isInteger(n) || n < min || n > max) throw new Error(`${flag} must be an integer from ${min} to ${max}; got '${value}'.`);
    return n;
}

function parseServeFlags(argv: string[]) {
    try {
        return parseArgs({
            args: argv,
            strict: true,
            allowPositionals: false,
            options: {
                model: {type: "string"},
                "data-dir": {type: "string"},
                host: {type: "string"},
                port: {type: "string"},
                threads: {type: "string"},
                parallel: {type: "string"},
                "ctx-size": {type: "string"},
                "no-auth": {type: "boolean"},
                "cors-origin": {type: "string", multiple: true},
                "allowed-host": {type: "string", multiple: true},
                cpu: {type: "boolean"},
                gpu: {type: "string"},
                "gpu-fallback": {type: "string"},
                verbose: {type: "boolean"},
                "download-default-model": {type: "boolean"},
                help: {type: "boolean", short: "h"}
            }
        });
    } catch (error) {
        // `npm run serve --model X` (no `--`): npm takes the flag as its own and passes only the path on.
        const npmAteFlags = process.env.npm_lifecycle_event != null && /Unexpected argument/.test((error as Error).message);
        throw npmAteFlags
            ? new Error(`${(error as Error).message}: with npm, put -- before the options (npm run serve -- --model PATH)`, {cause: error})
            : error;
    }
}
