import {ApiListenError, type ApiServerControl} from "../admin/ports.js";
import type {Logger} from "../common/log.js";
import type {HttpServer} from "./HttpServer.js";

/** How long requests in flight on the old address may run after a move before they are cut off. */
const moveGraceMs = 30_000;

export {ApiListenError};

export interface ApiAddress {
    host: string;
    port: number;
}

/** The address as a URL a browser on this machine can open (a wildcard address shown as loopback). */
export function apiUrl({host, port}: ApiAddress): string {
    const shown = host === "0.0.0.0" ? "127.0.0.1" : host === "::" ? "[::1]" : host.includes(":") ? `[${host}]` : host;
    return `http://${shown}:${port}`;
}

function listenFailure(error: unknown, host: string, port: number): ApiListenError {
    const code = (error as NodeJS.ErrnoException).code;
    const where = `${host}:${port}`;
    const reason =
        code === "EADDRINUSE"
            ? `port ${port} is already in use on ${host}`
            : code === "EACCES"
              ? `permission denied for ${where} (ports below 1024 need privileges)`
              : code === "EADDRNOTAVAIL"
                ? `${host} is not an address of this machine`
                : code === "ENOTFOUND" || code === "EAI_AGAIN"
                  ? `the host name ${host} does not resolve`
                  : (error as Error).message;
    return new ApiListenError(`The API server could not listen on ${where}: ${reason}.`, host, port, code);
}

/**
 * The running local API server: started, moved to another address and
 * stopped while the app runs. A move listens on the new address before it lets go of the old one, so a
 * busy port leaves the old server serving.
 *
 * `servesUi`: in headless `serve` mode this server also serves the web UI the admin is using, so it
 * must not be turned off from the panel; in the Electron app the UI runs over IPC and it may be.
 */
export class ApiServer implements ApiServerControl {
    private http: HttpServer | undefined;
    private bound: ApiAddress | undefined;
    /** Servers that stopped listening (after a move or stop) while requests there finish. */
    /** Servers of a former address still finishing their requests, with the promise of their closing. */
    private readonly retired = new Map<HttpServer, Promise<void>>();
    /** Start, move and stop run one at a time (two quick saves must not race for the port). */
    private queue: Promise<unknown> = Promise.resolve();

    public constructor(
        private readonly options: {
            /** A fresh HTTP server over the app's routes (one per address: a move binds the new one first). */
            createHttpServer(): HttpServer;
            /** The address in the settings (where {@link start} listens by default). */
            address(): ApiAddress;
            servesUi: boolean;
            log: Logger;
        }
    ) {}

    public get servesUi(): boolean {
        return this.options.servesUi;
    }

    public get running(): boolean {
        return this.http != null;
    }

    /** The address actually bound (port 0 resolved), or undefined while stopped. */
    public get address(): ApiAddress | undefined {
        return this.bound == null ? undefined : {...this.bound};
    }

    /** e.g. http://127.0.0.1:8080; null while stopped. */
    public get url(): string | null {
        return this.bound == null ? null : apiUrl(this.bound);
    }

    /**
     * Listens on `host:port` (default: the settings'); when already running this is {@link restart}.
     * @throws ApiListenError when the address cannot be bound
     */
    public start(host = this.options.address().host, port = this.options.address().port): Promise<string> {
        return this.serialized(() => (this.http != null ? this.move(host, port) : this.listenFresh(host, port)));
    }

    /**
     * Moves the server to `host:port`. The new address is bound first; only then does the old server
     * stop listening (requests in flight there finish, theirs included that asked for the move). The
     * same port on another host can be bound only after the old listener is closed: then the old
     * address is bound again if the new one fails.
     * @throws ApiListenError when the new address cannot be bound (the old server keeps serving)
     */
    public restart(host: string, port: number): Promise<string> {
        return this.serialized(() => (this.http != null ? this.move(host, port) : this.listenFresh(host, port)));
    }

    private serialized<T>(work: () => Promise<T>): Promise<T> {
        const run = this.queue.then(work, work);
        this.queue = run.catch(() => undefined);
        return run;
    }

    private async listenFresh(host: string, port: number): Promise<string> {
        const http = this.options.createHttpServer();
        this.bound = await this.bind(http, host, port);
        this.http = http;
        return apiUrl(this.bound);
    }

    private async move(host: string, port: number): Promise<string> {
        const old = this.http;
        const oldAddress = this.bound;
        if (old == null || oldAddress == null) return this.listenFresh(host, port);
        if (host === oldAddress.host && port === oldAddress.port) return apiUrl(oldAddress);
        const next = this.options.createHttpServer();
        let retired = false;
        try {
            this.bound = await this.bind(next, host, port);
        } catch (error) {
            if (!(error instanceof ApiListenError && error.code === "EADDRINUSE" && port === oldAddress.port)) throw error;
            this.retire(old);
            retired = true;
            this.http = undefined;
            this.bound = undefined;
            try {
                this.bound = await this.bind(next, host, port);
            } catch (second) {
                const back = this.options.createHttpServer();
                this.bound = await this.bind(back, oldAddress.host, oldAddress.port).catch((third: unknown) => {
                    this.options.log.error(`the API server is down: ${(third as Error).message}`);
                    throw second;
                });
                this.http = back;
                throw second;
            }
        }
        this.http = next;
        if (!retired) this.retire(old);
        this.options.log.info(`local API moved from ${apiUrl(oldAddress)} to ${apiUrl(this.bound)}`);
        return apiUrl(this.bound);
    }

    /**
     * Stops listening. With `graceMs` > 0, requests in flight get that long to finish (this resolves
     * at once); with 0, every connection, those of earlier addresses included, is closed before it resolves.
     */
    public stop(graceMs = moveGraceMs): Promise<void> {
        return this.serialized(() => this.stopNow(graceMs));
    }

    /**
     * Shutting down: stops listening at once and waits up to `graceMs` for the requests in flight to finish
     * (their answers complete); whatever still runs then is cut off.
     */
    public drain(graceMs: number): Promise<void> {
        return this.serialized(async () => {
            // The serving server joins those of a former address (see `retire`); all get this grace, then are cut off.
            await this.stopNow(graceMs);
            await Promise.race([Promise.all(this.retired.values()), new Promise((resolve) => setTimeout(resolve, graceMs).unref())]);
            await Promise.all([...this.retired.keys()].map((server) => server.close()));
        });
    }

    private async stopNow(graceMs: number): Promise<void> {
        const http = this.http;
        this.http = undefined;
        this.bound = undefined;
        if (graceMs > 0) {
            if (http != null) this.retire(http, graceMs);
            return;
        }
        await Promise.all([http, ...this.retired.keys()].map((server) => server?.close()));
    }

    private async bind(http: HttpServer, host: string, port: number): Promise<ApiAddress> {
        try {
            const bound = await http.listen(port, host);
            return {host: bound.host, port: bound.port};
        } catch (error) {
            throw listenFailure(error, host, port);
        }
    }

    private retire(http: HttpServer, graceMs = moveGraceMs): void {
        const closed = http.closeGracefully(graceMs).finally(() => this.retired.delete(http));
        this.retired.set(http, closed);
    }
}
