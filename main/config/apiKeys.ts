import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import {generateApiKey} from "./apiKey.js";
import {isReservedName} from "./reservedNames.js";
import {writeFileAtomic} from "./writeFileAtomic.js";

/** An API key issued to an app or a person; only its hash is stored. */
export interface IssuedKey {
    id: string;
    /** Who uses it: the identity whose sharing scope its requests run in. */
    name: string;
    group?: string;
    /** sha256 of the key, hex. */
    hash: string;
    /** The key's first characters, to tell keys apart in lists. */
    hint: string;
    createdAt: string;
}

/** The identity a request authenticated as. */
export interface Identity {
    name: string;
    group?: string;
    /** The issued key's id (absent for the app's own key and for requests without auth). */
    keyId?: string;
    /** The app's own key: may act for any desktop profile (the `user` field). */
    admin: boolean;
}

/** A name or group refused by {@link KeyStore.create}; `param` is the field at fault. */
export class KeyValidationError extends Error {
    /** `duplicate`: the name is taken by an active key (a conflict, not a malformed name). */
    public constructor(
        message: string,
        public readonly param: "name" | "group",
        public readonly kind: "invalid" | "duplicate" = "invalid"
    ) {
        super(message);
        this.name = "KeyValidationError";
    }
}

function hashKey(key: string): Buffer {
    return crypto.createHash("sha256").update(key).digest();
}

/**
 * Per-app and per-person keys in `keys.json` (hashes only: a leaked file gives no usable key).
 * Lookup compares against every stored hash in constant time per entry.
 */
export class KeyStore {
    private keys: IssuedKey[] = [];
    private loadedMtimeMs = -1;

    public constructor(private readonly file: string) {
        this.reload();
    }

    public static inDataDir(dataDir: string): KeyStore {
        return new KeyStore(path.join(dataDir, "keys.json"));
    }

    public list(): readonly IssuedKey[] {
        this.reload();
        return this.keys;
    }

    /** Issues a key; the plain key is returned once and never stored. */
    public create(name: string, group?: string): {key: string; entry: IssuedKey} {
        if (!/^[\w.@-]{1,64}$/.test(name)) throw new KeyValidationError("A key's name must be 1-64 letters, digits, '.', '@', '_' or '-'.", "name");
        if (isReservedName(name)) throw new KeyValidationError(`'${name}' is reserved; choose another name.`, "name");
        this.reload();
        if (this.keys.some((key) => key.name.toLowerCase() === name.toLowerCase()))
            throw new KeyValidationError(`A key named '${name}' exists; revoke it first or choose another name.`, "name", "duplicate");
        if (group != null && isReservedName(group)) throw new KeyValidationError(`'${group}' is reserved; choose another group.`, "group");
        if (group != null && !/^[\w.@-]{1,64}$/.test(group))
            throw new KeyValidationError("A group name must be 1-64 letters, digits, '.', '@', '_' or '-'.", "group");
        const key = generateApiKey();
        let id: string;
        // The id names the key's sharing scope: unique among live keys, and 48 random bits make meeting a
        // revoked key's id again negligible.
        do id = crypto.randomBytes(6).toString("hex");
        while (this.keys.some((existing) => existing.id === id));
        const entry: IssuedKey = {
            id,
            name,
            group,
            hash: hashKey(key).toString("hex"),
            hint: key.slice(0, 8),
            createdAt: new Date().toISOString()
        };
        this.keys.push(entry);
        this.save();
        return {key, entry};
    }

    public revoke(id: string): boolean {
        this.reload();
        const before = this.keys.length;
        this.keys = this.keys.filter((key) => key.id !== id);
        if (this.keys.length === before) return false;
        this.save();
        return true;
    }

    /** The issued key matching `presented`, if any. */
    public find(presented: string): IssuedKey | undefined {
        this.reload();
        const hash = hashKey(presented);
        let found: IssuedKey | undefined;
        for (const key of this.keys) if (crypto.timingSafeEqual(hash, Buffer.from(key.hash, "hex")) && found == null) found = key;
        return found;
    }

    private save(): void {
        writeFileAtomic(this.file, JSON.stringify(this.keys, null, 2) + "\n", 0o600);
        this.loadedMtimeMs = fs.statSync(this.file).mtimeMs;
    }

    /** Re-reads keys.json when another process (the CLI) changed it, so a revoked key stops working at once. */
    private reload(): void {
        let mtimeMs: number;
        try {
            mtimeMs = fs.statSync(this.file).mtimeMs;
        } catch {
            this.keys = [];
            this.loadedMtimeMs = -1;
            return;
        }
        if (mtimeMs === this.loadedMtimeMs) return;
        let keys: unknown;
        try {
            keys = JSON.parse(fs.readFileSync(this.file, "utf8"));
        } catch (error) {
            throw new Error(
                `The API keys file ${this.file} is not valid JSON (${(error as Error).message}). Fix it, or delete it to revoke every issued key.`,
                {
                    cause: error
                }
            );
        }
        if (!Array.isArray(keys)) throw new Error(`The API keys file ${this.file} must hold a list of keys. Fix it, or delete it to revoke every issued key.`);
        this.keys = keys as IssuedKey[];
        this.loadedMtimeMs = mtimeMs;
    }
}
