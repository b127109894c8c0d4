import os from "node:os";
import {canonicalHost, isWildcard} from "../../shared/hosts.js";

/**
 * The addresses other machines reach the server at when it listens on every interface (0.0.0.0, ::): the
 * printed URL names 127.0.0.1, which is this machine only, and a teacher would otherwise have to look the
 * network's address up. IPv4 for 0.0.0.0; IPv6 too (link-local excluded) for ::. Empty for any other host.
 */
export function networkUrls(host: string, port: number, interfaces = os.networkInterfaces()): string[] {
    if (!isWildcard(host)) return [];
    const ipv6 = canonicalHost(host) === "::";
    const urls: string[] = [];
    for (const addresses of Object.values(interfaces))
        for (const address of addresses ?? []) {
            if (address.internal) continue;
            if (address.family === "IPv4") urls.push(`http://${address.address}:${port}/`);
            else if (ipv6 && !address.address.toLowerCase().startsWith("fe80:")) urls.push(`http://[${address.address}]:${port}/`);
        }
    return [...new Set(urls)];
}
