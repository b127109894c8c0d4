/**
 * The llama.cpp backend the tests run on: `KVSHARE_TEST_BACKEND=cpu` (default) | `vulkan` | `cuda` | `metal`.
 * Every test that loads a model asks for exactly that backend's KVShare-patched build (main/runtime/nativeBuild.ts),
 * and loadedBuild.test.ts fails when anything else was loaded, so a stock binary never decides a test run.
 */
import {gpuBackends, type Backend, type GpuSetting} from "../../shared/llamaBackend.js";

function parseBackend(value: string | undefined): Backend {
    if (value == null || value === "" || value === "cpu") return "cpu";
    if ((gpuBackends as readonly string[]).includes(value)) return value as Backend;
    throw new Error(`KVSHARE_TEST_BACKEND must be cpu, ${gpuBackends.join(", ")}; got '${value}'`);
}

export const testBackend: Backend = parseBackend(process.env.KVSHARE_TEST_BACKEND);
/** The `gpu` setting that selects {@link testBackend}. */
export const testGpuSetting: GpuSetting = testBackend === "cpu" ? false : testBackend;

// llama.cpp's Vulkan backend skips CPU-type devices (Mesa's lavapipe, which CI tests on) unless they are listed.
if (testBackend === "vulkan") process.env.GGML_VK_VISIBLE_DEVICES ??= "0";
