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

const minKeyLength = 16;
const maxKeyLength = 1024;

/**
 * What makes `key` unusable as the app's key, or undefined when it is fine. A key travels in an HTTP header
 * (`Authorization: Bearer KEY`), where only visible ASCII is reliable: spaces split it, other bytes are
 * refused or mangled by clients.
 */
export function apiKeyProblem(key: string): string | undefined {
    if (key === "") return "it is empty";
    if (key.length < minKeyLength) return `it holds ${key.length} characters; a key has at least ${minKeyLength}`;
    if (key.length > maxKeyLength) return `it holds ${key.length} characters; a key has at most ${maxKeyLength}`;
    const bad = /[^\x21-\x7e]/.exec(key);
    if (bad != null) {
        const code = bad[0].codePointAt(0)!;
        const what = /\s/.test(bad[0]) ? "white space" : code < 0x20 || code === 0x7f ? "a control character" : "a character outside ASCII";
        return `it holds ${what} (U+${code.toString(16).toUpperCase().padStart(4, "0")}), which cannot be sent in an HTTP header; keys use visible ASCII only`;
    }
    return undefined;
}

/**
 * The app's bearer key: read from the data folder, generated (and stored owner-readable only) on first run.
 * A file that exists but holds no usable key is refused, never replaced: every client configured with the
 * old key would stop working without a word, and the file may only be cut short by a failed copy or restore
 * that the owner can still undo.
 * @returns the key and whether it was just created
 */
export function loadOrCreateApiKey(dataDir: string): {key: string; created: boolean} {
    const file = apiKeyPath(dataDir);
    let text: string | undefined;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ENOENT")
            throw new Error(`The API key file ${file} cannot be read: ${(error as Error).message}`, {cause: error});
    }
    if (text != null) {
        // White space around the key (an editor's line end) is not part of it; bytes that are not UTF-8 read
        // as U+FFFD, which apiKeyProblem refuses.
        const key = text.trim();
        const problem = apiKeyProblem(key);
        if (problem != null)
            throw new Error(
                `The API key file ${file} holds no usable key: ${problem}. Put the key your clients use back in it, or delete it to have a new key made (every client then needs the new key).`
            );
        return {key, created: false};
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
