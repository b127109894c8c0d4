/**
 * llama.cpp backends and the admin's choices about them, shared by the server (main/runtime/nativeBuild.ts,
 * settings) and the renderer (the build notice).
 */

export type GpuBackend = "vulkan" | "cuda" | "metal";
export type Backend = "cpu" | GpuBackend;
/** `settings.gpu`: "auto" (the GPU found), false (CPU only) or one backend. */
export type GpuSetting = "auto" | false | GpuBackend;
/** What to run when the GPU found has no KVShare-patched build (`settings.gpuFallback`). */
export type GpuFallback = "stock-gpu" | "patched-cpu";

export const gpuBackends: readonly GpuBackend[] = ["cuda", "vulkan", "metal"];
export const gpuFallbacks: readonly GpuFallback[] = ["stock-gpu", "patched-cpu"];

/** What this machine offers of one GPU backend (the settings panel's GPU choice says it before a reload finds out). */
export interface GpuBackendSupport {
    backend: GpuBackend;
    /** Its runtime libraries (driver, toolkit) are found here: node-llama-cpp could run it. */
    found: boolean;
    /** A KVShare-patched build of it is installed (`npm run build:native -- --gpu <backend>`): KV sharing on it. */
    patched: boolean;
}
