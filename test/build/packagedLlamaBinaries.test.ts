/**
 * Which llama.cpp binaries a desktop package ships, decided by electron-builder's own code on
 * electron-builder.yml: its config loader, its macro expansion and the file matcher it applies to node_modules.
 */
import path from "node:path";
import {fileURLToPath} from "node:url";
import {describe, expect, it} from "vitest";
import type {Configuration} from "app-builder-lib";
import * as fileMatcher from "app-builder-lib/out/fileMatcher.js";
import {getConfig} from "app-builder-lib/out/util/config/load.js";
import {expandMacro} from "app-builder-lib/out/util/macroExpander.js";
import type {AppInfo} from "app-builder-lib/out/appInfo.js";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** node-llama-cpp's stock prebuilt packages, as npm installs them (every platform's). */
const prebuiltPackages = [
    "linux-x64",
    "linux-x64-vulkan",
    "linux-x64-cuda",
    "linux-x64-cuda-ext",
    "linux-arm64",
    "linux-armv7l",
    "mac-arm64-metal",
    "mac-x64",
    "win-x64",
    "win-x64-vulkan",
    "win-x64-cuda",
    "win-x64-cuda-ext",
    "win-arm64"
];

/** Not exported in its type declarations, but what electron-builder filters node_modules with. */
type NodeModuleMatcherFactory = (
    appDir: string,
    destination: string,
    macroExpander: (pattern: string) => string,
    platformSpecificBuildOptions: object,
    packager: {config: Configuration; debugLogger: {isEnabled: boolean}}
) => fileMatcher.FileMatcher;

async function loadConfig(): Promise<Configuration> {
    const read = await getConfig<Configuration>({packageKey: "build", configFilename: "electron-builder", projectDir: repoRoot, packageMetadata: null});
    if (read?.result == null) throw new Error("electron-builder.yml could not be read");
    return read.result;
}

/** Whether a file under node_modules goes into the package for `os` (electron-builder's name) and `arch`. */
function nodeModulesFilter(config: Configuration, os: "linux" | "mac" | "win", arch: string): (file: string) => boolean {
    const appInfo = {} as AppInfo;
    const expander = (pattern: string) => expandMacro(pattern, arch, appInfo, {os, "/*": "{,/**/*}"});
    const factory = (fileMatcher as unknown as {getNodeModuleFileMatcher: NodeModuleMatcherFactory}).getNodeModuleFileMatcher;
    const filter = factory(repoRoot, "", expander, config[os] ?? {}, {config, debugLogger: {isEnabled: false}}).createFilter();
    return (file) => filter(path.join(repoRoot, file), {isDirectory: () => false, moduleFullFilePath: file} as never) as boolean;
}

describe("llama.cpp binaries in the desktop packages", () => {
    it.each([
        ["linux", "x64", ["linux-x64", "linux-x64-vulkan", "linux-x64-cuda", "linux-x64-cuda-ext"]],
        ["win", "x64", ["win-x64", "win-x64-vulkan", "win-x64-cuda", "win-x64-cuda-ext"]],
        ["mac", "arm64", ["mac-arm64-metal"]]
    ] as const)("ships on %s-%s only that platform's stock prebuilt packages", async (os, arch, shipped) => {
        const included = nodeModulesFilter(await loadConfig(), os, arch);
        const packaged = prebuiltPackages.filter((name) => included(`node_modules/@node-llama-cpp/${name}/bins/${name}/llama-addon.node`));
        expect(packaged).toEqual(shipped);
    });

    it("ships the platform's patched builds (CPU and GPU) without their build trees, and no other platform's", async () => {
        const included = nodeModulesFilter(await loadConfig(), "linux", "x64");
        const localBuilds = "node_modules/node-llama-cpp/llama/localBuilds";
        for (const build of ["linux-x64", "linux-x64-vulkan"]) {
            expect(included(`${localBuilds}/${build}/Release/llama-addon.node`)).toBe(true);
            expect(included(`${localBuilds}/${build}/kvshare-native.json`)).toBe(true);
            expect(included(`${localBuilds}/${build}/CMakeFiles/x.o.d`)).toBe(false);
        }
        expect(included(`${localBuilds}/linux-arm64/Release/llama-addon.node`)).toBe(false);
        expect(included(`${localBuilds}/win-x64-vulkan/Release/llama-addon.node`)).toBe(false);
        expect(included("node_modules/node-llama-cpp/llama/llama.cpp/src/llama.cpp")).toBe(false);
        expect(included("node_modules/better-sqlite3/build/Release/better_sqlite3.node")).toBe(true);
    });
});

describe("the desktop package's Electron fuses", () => {
    it("are a configuration electron-builder takes: no NODE_OPTIONS or --inspect, the app from its checked app.asar only, Node mode kept", async () => {
        const config = await loadConfig();
        const {validateConfiguration} = await import("app-builder-lib/out/util/config/config.js");
        await validateConfiguration(config, {isEnabled: false} as never);
        expect(config.electronFuses).toMatchObject({
            enableNodeOptionsEnvironmentVariable: false,
            enableNodeCliInspectArguments: false,
            onlyLoadAppFromAsar: true,
            enableEmbeddedAsarIntegrityValidation: true,
            grantFileProtocolExtraPrivileges: false,
            // The device probe runs the app's binary as Node.
            runAsNode: true
        });
    });
});
