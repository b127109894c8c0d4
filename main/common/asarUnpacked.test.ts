import {describe, expect, it} from "vitest";
import {asarUnpacked} from "./asarUnpacked.js";

describe("asarUnpacked", () => {
    it("points a packaged app's native file at its unpacked copy, on either separator", () => {
        expect(asarUnpacked("/opt/KVShare/resources/app.asar/node_modules/sqlite-vec-linux-x64/vec0.so", "/")).toBe(
            "/opt/KVShare/resources/app.asar.unpacked/node_modules/sqlite-vec-linux-x64/vec0.so"
        );
        expect(asarUnpacked("C:\\KVShare\\resources\\app.asar\\node_modules\\sqlite-vec-windows-x64\\vec0.dll", "\\")).toBe(
            "C:\\KVShare\\resources\\app.asar.unpacked\\node_modules\\sqlite-vec-windows-x64\\vec0.dll"
        );
    });

    it("leaves paths outside an archive (and already unpacked ones) as they are", () => {
        for (const file of ["/work/node_modules/sqlite-vec-linux-x64/vec0.so", "/opt/KVShare/resources/app.asar.unpacked/x.so", "/data/my app.asarx/y.so"])
            expect(asarUnpacked(file, "/")).toBe(file);
    });
});
