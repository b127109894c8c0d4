import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import {consoleLogger, type Logger} from "../common/log.js";
import {generateApiKey} from "./apiKey.js";
import {isReservedName, keyNamePattern} from "../../shared/names.js";
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

/**
 * An issued key was presented while `keys.json` cannot be read. Its message is for the client: it names
 * no file (the path is logged for the admin instead).
 */
export class KeysUnavailableError extends Error {
    /** When asking again may work: the admin has to fix the file first. */
    public readonly retryAfterSeconds = 30;

    public constructor() {
        super("The server cannot check issued API keys right now (its key list cannot be read). Retry later, or tell the server's admin.");
        this.name = "KeysUnavailableError";
    }
}

/** The key list cannot be read or changed while its file is damaged (the message names the file, for the admin). */
export class KeysFileDamagedError extends Error {
    public readonly retryAfterSeconds = 30;
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

/** Writes the key list (the atomic write; a parameter so that tests can make it fail as a full disk does). */
export type KeysWriter = (file: string, data: string, mode: number) => void;

const isText = (value: unknown): value is string => typeof value === "string";

/** The entries of a parsed `keys.json`, or what is wrong with it. */
function parseKeys(text: string): IssuedKey[] | {problem: string} {
    let parsed: unknown;
    try {
        parsed = JSON.parse(text);
    } catch (error) {
        return {problem: `is not valid JSON (${(error as Error).message})`};
    }
    if (!Array.isArray(parsed)) return {problem: "must hold a list of keys"};
    for (const [index, entry] of parsed.entries()) {
        const key = entry as Partial<Record<keyof IssuedKey, unknown>> | null;
        // A bad hash would throw in the constant-time comparison of every request.
        if (
            key == null ||
            typeof key !== "object" ||
            !isText(key.id) ||
            !isText(key.name) ||
            !(key.group === undefined || isText(key.group)) ||
            !isText(key.hash) ||
            !/^[0-9a-f]{64}$/i.test(key.hash) ||
            !isText(key.hint) ||
            !isText(key.createdAt)
        )
            return {problem: `must hold a list of keys (entry ${index + 1} lacks an id, name, sha256 hash, hint or createdAt)`};
    }
    return parsed as IssuedKey[];
}

/**
 * Per-app and per-person keys in `keys.json` (hashes only: a leaked file gives no usable key).
 * Lookup compares against every stored hash in constant time per entry.
 */
export class KeyStore {
    /** The list as last read or written; while the file is damaged, the last good one. */
    private keys: IssuedKey[] = [];
    /** Which file content `keys` came from (inode, size, mtime); "absent" when there is no file. */
    private loadedVersion = "";
    /** Set while the file cannot be read: which version is damaged and why. */
    private damaged: {version: string; problem: string} | undefined;
    /** Told the ids of keys that left the list (revoked here, or by another process: the CLI, a hand edit). */
    private readonly removedListeners = new Set<(ids: string[]) => void>();

    /**
     * A file that cannot be read at start-up is refused (the server does not start): with no good list
     * yet, every issued key would look unknown.
     */
    public constructor(
        private readonly file: string,
        private readonly log: Logger = consoleLogger,
        private readonly write: KeysWriter = writeFileAtomic
    ) {
        this.reload(false);
        if (this.damaged != null) throw this.damagedError();
    }

    public static inDataDir(dataDir: string, log?: Logger): KeyStore {
        return new KeyStore(path.join(dataDir, "keys.json"), log);
    }

    /**
     * Calls `listener` with the ids of keys that leave the list from now on, so what runs under a revoked key
     * can be stopped. Returns the unsubscribe.
     */
    public onRemoved(listener: (ids: string[]) => void): () => void {
        this.removedListeners.add(listener);
        return () => this.removedListeners.delete(listener);
    }

    /** Reads the file again if another process changed it (a revocation by the CLI is then told to the listeners). */
    public refresh(): void {
        this.reload(true);
    }

    /** Throws (naming the file, for the admin) while the file cannot be read. */
    public list(): readonly IssuedKey[] {
        this.reloadForChange();
        return this.keys;
    }

    /**
     * Issues a key; the plain key is returned once and never stored. Refused while the file cannot be
     * read: saving the last good list over it could bring back a key revoked since.
     */
    public create(name: string, group?: string): {key: string; entry: IssuedKey} {
        if (!keyNamePattern.test(name)) throw new KeyValidationError("A key's name must be 1-64 letters, digits, '.', '@', '_' or '-'.", "name");
        if (isReservedName(name)) throw new KeyValidationError(`'${name}' is reserved; choose another name.`, "name");
        this.reloadForChange();
        if (this.keys.some((key) => key.name.toLowerCase() === name.toLowerCase()))
            throw new KeyValidationError(`A key named '${name}' exists; revoke it first or choose another name.`, "name", "duplicate");
        if (group != null && isReservedName(group)) throw new KeyValidationError(`'${group}' is reserved; choose another group.`, "group");
        if (group != null && !keyNamePattern.test(group))
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
        this.save([...this.keys, entry]);
        return {key, entry};
    }

    /** Refused while the file cannot be read, like {@link create}. */
    public revoke(id: string): boolean {
        this.reloadForChange();
        const kept = this.keys.filter((key) => key.id !== id);
        if (kept.length === this.keys.length) return false;
        this.save(kept);
        return true;
    }

    /**
     * The issued key matching `presented`, if any. While the file cannot be read, a key of the last good
     * list throws {@link KeysUnavailableError} rather than being accepted: the damage may be a revocation
     * half written (a hand edit, a restore, a tool writing in place), and accepting the last good list would
     * keep a key the admin just revoked working, with nothing telling anyone. A key that matches nothing
     * is still unknown (undefined: a 401); one issued after the last good read is unknown too, until the
     * file is fixed.
     */
    public find(presented: string): IssuedKey | undefined {
        this.reload(true);
        const hash = hashKey(presented);
        let found: IssuedKey | undefined;
        for (const key of this.keys) if (crypto.timingSafeEqual(hash, Buffer.from(key.hash, "hex")) && found == null) found = key;
        if (found != null && this.damaged != null) throw new KeysUnavailableError();
        return found;
    }

    /**
     * Writes `keys` and only then takes them as the list: a failed write (a full disk) leaves the list
     * as the file still has it, so a key that was not saved is neither listed nor holding its name.
     */
    private save(keys: IssuedKey[]): void {
        this.write(this.file, JSON.stringify(keys, null, 2) + "\n", 0o600);
        this.take(keys);
        this.loadedVersion = this.versionOf(fs.statSync(this.file));
    }

    private reloadForChange(): void {
        this.reload(true);
        if (this.damaged != null) throw this.damagedError();
    }

    private damagedError(): Error {
        return new KeysFileDamagedError(`The API keys file ${this.file} ${this.damaged?.problem}. Fix it, or delete it to revoke every issued key.`);
    }

    private versionOf(stat: fs.Stats): string {
        return `${stat.ino}:${stat.size}:${stat.mtimeMs}`;
    }

    /**
     * Re-reads keys.json when another process (the CLI) changed it, so a revoked key stops working at once.
     * A file that cannot be read is noted (and logged once, with its path, when `logDamage`), never thrown:
     * the callers decide what a damaged file means for them.
     */
    private reload(logDamage: boolean): void {
        let version: string;
        let text: string;
        let fd: number;
        try {
            fd = fs.openSync(this.file, "r");
        } catch (error) {
            if ((error as NodeJS.ErrnoException).code === "ENOENT") {
                // No file: no issued key (deleting it is how the admin revokes them all).
                this.take([]);
                this.loadedVersion = "absent";
                this.markReadable(logDamage);
            } else {
                this.markDamaged(`error:${(error as NodeJS.ErrnoException).code}`, `cannot be read (${(error as Error).message})`, logDamage);
            }
            return;
        }
        try {
            version = this.versionOf(fs.fstatSync(fd));
            if (version === this.loadedVersion) {
                // The good file put back as it was (same inode and mtime).
                this.markReadable(logDamage);
                return;
            }
            if (version === this.damaged?.version) return;
            text = fs.readFileSync(fd, "utf8");
        } catch (error) {
            this.markDamaged(`error:${(error as NodeJS.ErrnoException).code}`, `cannot be read (${(error as Error).message})`, logDamage);
            return;
        } finally {
            fs.closeSync(fd);
        }
        const keys = parseKeys(text);
        if (!Array.isArray(keys)) {
            this.markDamaged(version, keys.problem, logDamage);
            return;
        }
        this.take(keys);
        this.loadedVersion = version;
        this.markReadable(logDamage);
    }

    /** Takes `keys` as the list, telling the listeners which keys left it. */
    private take(keys: IssuedKey[]): void {
        const kept = new Set(keys.map((key) => key.id));
        const removed = this.keys.filter((key) => !kept.has(key.id)).map((key) => key.id);
        this.keys = keys;
        if (removed.length > 0) for (const listener of this.removedListeners) listener(removed);
    }

    private markDamaged(version: string, problem: string, logDamage: boolean): void {
        if (this.damaged?.version === version) return;
        this.damaged = {version, problem};
        if (logDamage)
            this.log.error(
                `The API keys file ${this.file} ${problem}. Requests with issued keys are refused (503) until it is fixed, ` +
                    "so that a revoked key cannot come back; the app's own key still works. Fix it, or delete it to revoke every issued key."
            );
    }

    private markReadable(logRecovery: boolean): void {
        if (this.damaged == null) return;
        this.damaged = undefined;
        if (logRecovery) this.log.info(`The API keys file ${this.file} can be read again; issued keys work again.`);
    }
}
