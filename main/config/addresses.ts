import os from "node:os";
import {canonicalHost, isLoopback} from "../../shared/hosts.js";

export {canonicalHost, isLoopback, isWildcard} from "../../shared/hosts.js";

/** The addresses of this machine's network interfaces, canonical (zone ids dropped). */
export function localInterfaceAddresses(): string[] {
    return Object.values(os.networkInterfaces()).flatMap((list) => (list ?? []).map((info) => canonicalHost(info.address.replace(/%.*$/, ""))));
}

/**
 * Refuses a server without the API key anywhere but loopback: without a key, every machine that can
 * reach the port (and every web page through a DNS-rebound name) could use and administer the server.
 * Every entry point (CLI flags, settings file, settings panel, desktop app) goes through this.
 * @returns the reason, or undefined when the combination is allowed
 */
export function unsafeAuthReason(api: {host: string; auth: boolean}): string | undefined {
    if (api.auth || isLoopback(api.host)) return undefined;
    return (
        `Turning the API key off is only allowed on a loopback address (127.0.0.1, ::1, localhost); ` +
        `${api.host} would let any machine that reaches the port use and administer the server. Keep the key on, or listen on 127.0.0.1.`
    );
}
