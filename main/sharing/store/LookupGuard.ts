import {markDamaged, readFailureKind} from "../../common/damagedDatabase.js";

/**
 * Guards the cache index's reads on the request path: a read that fails gives "nothing found" instead of
 * failing the request, so requests are served without sharing. Damage found this way is reported once and
 * the file marked, to be set aside for a new one at its next open; a passing failure (a lock, the disk) is
 * reported once until a read works again.
 */
export class LookupGuard {
    /** Why a read found the index damaged, once one has. */
    private damage: string | undefined;
    /** A read failed for a passing reason and none has worked since: reported already. */
    private failing = false;

    public constructor(
        private readonly dbPath: string,
        private readonly warn: ((message: string) => void) | undefined
    ) {}

    /** Whether a read found the index damaged while open (every read then finds nothing). */
    public get damaged(): boolean {
        return this.damage !== undefined;
    }

    /** Runs `read`; a failing one gives `nothing`. Errors that are not SQLite's are thrown on. */
    public read<T>(nothing: T, read: () => T): T {
        if (this.damage !== undefined) return nothing;
        try {
            const found = read();
            this.failing = false;
            return found;
        } catch (error) {
            const kind = readFailureKind(error);
            if (kind === undefined) throw error;
            const reason = (error as Error).message;
            if (kind === "damaged") {
                this.damage = reason;
                markDamaged(this.dbPath, `${reason} (found while serving)`);
                this.warn?.(`${this.dbPath} is damaged (${reason}): requests are served without sharing, and it is set aside for a new one at its next open`);
            } else if (!this.failing) this.warn?.(`cache lookup failed (${reason}): requests are served without sharing meanwhile`);
            this.failing = kind === "passing";
            return nothing;
        }
    }
}
