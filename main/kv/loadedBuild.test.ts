/**
 * Which binary the KV suite runs on. The editing tests skip themselves on a stock binary; this test does
 * not: it fails unless the build loaded is the KVShare-patched build of KVSHARE_TEST_BACKEND (or the stock
 * one, when KVSHARE_TEST_STOCK_BINARY=1 asks for it), so a run can never pass on the wrong binary unnoticed.
 */
import {describe, expect, it} from "vitest";
import {testBackend} from "../../test/support/backend.js";
import {testBuild} from "./__tests__/support.js";

const wantStock = process.env.KVSHARE_TEST_STOCK_BINARY === "1";

describe(`KV suite binary (KVSHARE_TEST_BACKEND=${testBackend})`, () => {
    it(`is the ${wantStock ? "stock" : "KVShare-patched"} ${testBackend} build, with its device`, async () => {
        const {llama, build} = await testBuild();
        expect(build.backend).toBe(testBackend);
        expect(build.patched).toBe(!wantStock);
        expect(build.binary).toBe(wantStock ? "prebuilt" : "localBuild");
        if (testBackend !== "cpu") {
            // A GPU backend with no device would silently compute on the CPU.
            expect(build.devices.length).toBeGreaterThan(0);
            expect(llama.supportsGpuOffloading).toBe(true);
        }
        if (!wantStock) expect(build.notice).toBeUndefined();
    });
});
