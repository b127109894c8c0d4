import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import {writeFileAtomic} from "./writeFileAtomic.js";

export function apiKeyPath(dataDir: string): string {
    return path.join(dataDir, "api-key");
}

/** A new random key; the prefix makes it recognisable in config files and logs. */
export function generateApiKey(): string {
    return "kvs-" + crypto.randomBytes(24).toString("base64url");
}

/**
 * The app's bearer key: read from the data folder, generated (and stored owner-readable only) on first run.
 * @returns the key and whether it was just created
 */
export function loadOrCreateApiKey(dataDir: string): {key: string; created: boolean} {
    const file = apiKeyPath(dataDir);
    if (fs.existsSync(file)) {
        const key = fs.readFileSync(file, "utf8").trim();
        if (key.length >= 16) return {key, created: false};
    }
    const key = generateApiKey();
    writeFileAtomic(file, key + "\n", 0o600);
    return {key, created: true};
}

/** Compares a presented key with the expected one in constant time (no early exit on the first differing byte). */
export function keysMatch(presented: string, expected: string): boolean {
    const a = crypto.createHash("sha256").update(presented).digest();
    const b = crypto.createHash("sha256").update(expected).digest();
    return crypto.timingSafeEqual(a, b);
}
