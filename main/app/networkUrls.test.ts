import os from "node:os";
import {describe, expect, it} from "vitest";
import {networkUrls} from "./networkUrls.js";

const nic = (address: string, family: "IPv4" | "IPv6", internal = false): os.NetworkInterfaceInfo =>
    ({address, family, internal, netmask: "", mac: "", cidr: null, ...(family === "IPv6" ? {scopeid: 0} : {})}) as os.NetworkInterfaceInfo;

describe("networkUrls", () => {
    const interfaces = {
        lo: [nic("127.0.0.1", "IPv4", true), nic("::1", "IPv6", true)],
        eth0: [nic("192.168.1.20", "IPv4"), nic("fe80::1", "IPv6"), nic("2001:db8::20", "IPv6")],
        wlan0: [nic("10.0.0.7", "IPv4")]
    };

    it("lists where other machines reach a server on every interface, never loopback or link-local", () => {
        expect(networkUrls("0.0.0.0", 8211, interfaces)).toEqual(["http://192.168.1.20:8211/", "http://10.0.0.7:8211/"]);
        expect(networkUrls("::", 8211, interfaces)).toEqual(["http://192.168.1.20:8211/", "http://[2001:db8::20]:8211/", "http://10.0.0.7:8211/"]);
    });

    it("lists nothing for a server on one address (its URL is already that address)", () => {
        expect(networkUrls("127.0.0.1", 8211, interfaces)).toEqual([]);
        expect(networkUrls("192.168.1.20", 8211, interfaces)).toEqual([]);
    });

    it("reads this machine's interfaces by default", () => {
        const own = Object.values(os.networkInterfaces())
            .flat()
            .filter((address) => address != null && !address.internal && address.family === "IPv4").length;
        expect(networkUrls("0.0.0.0", 1)).toHaveLength(own);
    });
});
