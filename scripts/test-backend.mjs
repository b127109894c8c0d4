#!/usr/bin/env node
// Runs the suites that depend on the llama.cpp build (the KV editing suite and the sharing API tests)
// on one backend's KVShare-patched build: `npm run test:backend -- vulkan` (CI: Mesa's lavapipe).
// The whole suite (`npm test`) runs on the CPU build; loadedBuild tests fail if another build was loaded.
import {spawnSync} from "node:child_process";

const backend = process.argv[2] ?? "vulkan";
/** Further arguments: run only these test files (e.g. `npm run test:backend -- vulkan main/kv`). */
const only = process.argv.slice(3);
const suites = [
    "main/kv",
    "main/runtime/nativeBuild.test.ts",
    "test/api/loadedBuild.test.ts",
    "test/api/sharing.test.ts",
    "test/api/scopes.test.ts",
    "test/api/burst.test.ts",
    "test/api/sharedPrefixes.test.ts",
    "test/api/deviationRecompute.test.ts",
    // Every prompt token's distribution read back (scoring with echo): the logits of a whole batch.
    "test/api/logprobs.test.ts"
];
const env = {...process.env, KVSHARE_TEST_BACKEND: backend};
// llama.cpp's Vulkan backend skips CPU-type devices such as lavapipe unless they are listed.
if (backend === "vulkan") env.GGML_VK_VISIBLE_DEVICES ??= "0";
console.log(
    `[test-backend] KVSHARE_TEST_BACKEND=${backend}${backend === "vulkan" ? ` GGML_VK_VISIBLE_DEVICES=${env.GGML_VK_VISIBLE_DEVICES}` : ""}: ${(only.length > 0 ? only : suites).join(" ")}`
);
// A software GPU (lavapipe) decodes ~20× slower than the CPU build and compiles pipelines on first use.
const timeouts = backend === "cpu" ? [] : ["--testTimeout=600000", "--hookTimeout=600000"];
const res = spawnSync("npx", ["vitest", "run", "--project", "node", ...timeouts, ...(only.length > 0 ? only : suites)], {
    stdio: "inherit",
    env,
    shell: process.platform === "win32"
});
process.exit(res.status ?? 1);
