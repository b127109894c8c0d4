import type {ServerResponse} from "node:http";
import type {KeyStore} from "../config/apiKeys.js";
import {KeyRevokedError} from "../runtime/abortReasons.js";

/**
 * The requests running under each issued key, so that revoking a key stops what it is running at once — a stream
 * of minutes included — not only its next request. A revocation by another process (the CLI) is seen by reading
 * the keys file again each `pollMs`. Both only while such a request runs: a server that never served one (or
 * failed to bind) holds no listener and no timer.
 */
export class KeyedRequests {
    private readonly byKey = new Map<string, Set<AbortController>>();
    private unsubscribe: (() => void) | undefined;
    private poll: NodeJS.Timeout | undefined;

    public constructor(
        private readonly keys: Pick<KeyStore, "onRemoved" | "refresh">,
        private readonly pollMs = 1000
    ) {}

    /** Tracks a request of key `keyId` until its response closes; revoking the key aborts it. */
    public add(keyId: string, abort: AbortController, res: ServerResponse): void {
        let running = this.byKey.get(keyId);
        if (running == null) this.byKey.set(keyId, (running = new Set()));
        running.add(abort);
        this.unsubscribe ??= this.keys.onRemoved((ids) => this.stop(ids));
        this.poll ??= setInterval(() => this.keys.refresh(), this.pollMs).unref();
        res.once("close", () => {
            running.delete(abort);
            if (running.size === 0 && this.byKey.get(keyId) === running) this.byKey.delete(keyId);
            if (this.byKey.size === 0) this.close();
        });
    }

    /** Stops following revocations (nothing runs, or the server closed). */
    public close(): void {
        this.unsubscribe?.();
        this.unsubscribe = undefined;
        clearInterval(this.poll);
        this.poll = undefined;
    }

    private stop(ids: readonly string[]): void {
        for (const id of ids) for (const abort of this.byKey.get(id) ?? []) abort.abort(new KeyRevokedError());
    }
}
