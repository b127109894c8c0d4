/**
 * Host names compared as parsed addresses, never as spellings: `0:0:0:0:0:0:0:1`, `[::1]`,
 * `::ffff:127.0.0.1`, `0x7f.1` and `2130706433` are all loopback, and a check that compared strings would
 * treat them as "some other host". Pure (URL parsing only), so the server and the settings panel agree.
 */

/**
 * The canonical form of a host: lower case, no brackets or trailing dot, IPv4 in dotted decimal and
 * IPv6 compressed (the WHATWG URL rules browsers use, so a Host header canonicalizes the same way), an
 * IPv4-mapped IPv6 address as its IPv4 address. Anything that is not a valid host comes back lower-cased
 * as is (it then matches nothing).
 */
export function canonicalHost(host: string): string {
    let name = host.trim().toLowerCase();
    if (name.startsWith("[") && name.endsWith("]")) name = name.slice(1, -1);
    if (name.endsWith(".")) name = name.slice(0, -1);
    if (name === "") return name;
    try {
        if (name.includes(":")) {
            const compressed = new URL(`http://[${name}]/`).hostname.slice(1, -1);
            return unmapIpv4(compressed) ?? compressed;
        }
        return new URL(`http://${name}/`).hostname;
    } catch {
        return name;
    }
}

/** `::ffff:7f00:1` (the URL form of `::ffff:127.0.0.1`) → `127.0.0.1`; undefined for other addresses. */
function unmapIpv4(ipv6: string): string | undefined {
    const match = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(ipv6);
    if (match == null) return undefined;
    const high = parseInt(match[1] ?? "0", 16);
    const low = parseInt(match[2] ?? "0", 16);
    return [high >> 8, high & 255, low >> 8, low & 255].join(".");
}

const ipv4Pattern = /^\d{1,3}(\.\d{1,3}){3}$/;

/** True for `localhost`, any 127.0.0.0/8 address and ::1, in any spelling. */
export function isLoopback(host: string): boolean {
    const name = canonicalHost(host);
    if (name === "localhost") return true;
    if (ipv4Pattern.test(name)) return name.startsWith("127.");
    return name === "::1";
}

/** True for the "every interface" addresses 0.0.0.0 and ::, in any spelling. */
export function isWildcard(host: string): boolean {
    const name = canonicalHost(host);
    return name === "0.0.0.0" || name === "::";
}
