#!/usr/bin/env node
// Dependency check (run by `npm test` and CI): no import cycle anywhere in the app, and imports in
// main/ point one way, from the entry points down to the core (see ARCHITECTURE.md).
import madge from "madge";

/** For each layer, the layers it must never import (directly). */
const forbidden = {
    "main/common": [
        "main/config",
        "main/kv",
        "main/sharing",
        "main/runtime",
        "main/insights",
        "main/service",
        "main/admin",
        "main/server",
        "main/app",
        "main/electron"
    ],
    "main/config": ["main/kv", "main/sharing", "main/runtime", "main/insights", "main/service", "main/admin", "main/server", "main/app", "main/electron"],
    "main/kv": ["main/sharing", "main/runtime", "main/insights", "main/service", "main/admin", "main/server", "main/app", "main/electron"],
    "main/sharing": ["main/runtime", "main/insights", "main/service", "main/admin", "main/server", "main/app", "main/electron"],
    "main/runtime": ["main/sharing", "main/insights", "main/service", "main/admin", "main/server", "main/app", "main/electron"],
    "main/insights": ["main/service", "main/admin", "main/server", "main/app", "main/electron"],
    "main/service": ["main/admin", "main/server", "main/app", "main/electron"],
    "main/admin": ["main/server", "main/app", "main/electron"],
    "main/server": ["main/app", "main/electron"],
    "main/app": ["main/electron"],
    shared: ["main", "renderer", "preload"],
    renderer: ["main", "preload"],
    preload: ["main", "renderer"]
};

const result = await madge(["main", "shared", "preload", "renderer/src"], {
    fileExtensions: ["ts", "tsx"],
    tsConfig: "tsconfig.json",
    excludeRegExp: [/\.test\.tsx?$/, /__tests__/],
    detectiveOptions: {ts: {skipTypeImports: false}, tsx: {skipTypeImports: false}}
});

const layerOf = (file) =>
    Object.keys(forbidden)
        .filter((layer) => file === layer || file.startsWith(layer + "/"))
        .sort((a, b) => b.length - a.length)[0];
const problems = [];
for (const cycle of result.circular()) problems.push(`import cycle: ${cycle.join(" → ")} → ${cycle[0]}`);
for (const [file, imports] of Object.entries(result.obj())) {
    const layer = layerOf(file);
    if (layer == null) continue;
    for (const imported of imports) {
        const bad = forbidden[layer].find((other) => imported === other || imported.startsWith(other + "/"));
        if (bad != null) problems.push(`${file} imports ${imported}: ${layer} must not depend on ${bad}`);
    }
}
const files = Object.keys(result.obj()).length;
if (problems.length > 0) {
    console.error(`dependency check: ${problems.length} problem(s) in ${files} files\n  ${problems.join("\n  ")}`);
    process.exit(1);
}
console.log(`dependency check: ${files} files, no import cycle, every import points down the layers`);
