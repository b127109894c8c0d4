import {describe, expect, it} from "vitest";
import {canonicalHost, isLoopback, isWildcard, unsafeAuthReason} from "./addresses.js";

describe("addresses are compared parsed, never as spellings", () => {
    it("recognises loopback in every spelling", () => {
        for (const host of [
            "127.0.0.1",
            "127.1",
            "0x7f.1",
            "2130706433",
            "127.255.0.9",
            "localhost",
            "LOCALHOST.",
            "::1",
            "[::1]",
            "0:0:0:0:0:0:0:1",
            "0000::0001",
            "::ffff:127.0.0.1",
            "[::FFFF:7f00:1]"
        ])
            expect(isLoopback(host), host).toBe(true);
        for (const host of [
            "0.0.0.0",
            "::",
            "0:0:0:0:0:0:0:0",
            "192.168.1.20",
            "::ffff:192.168.1.20",
            "evil.example",
            "localhost.evil.example",
            "127.0.0.1.evil.example",
            "",
            "::2"
        ])
            expect(isLoopback(host), host).toBe(false);
    });

    it("recognises the wildcard addresses", () => {
        for (const host of ["0.0.0.0", "0", "::", "[::]", "0:0:0:0:0:0:0:0"]) expect(isWildcard(host), host).toBe(true);
        for (const host of ["127.0.0.1", "::1", "10.0.0.1"]) expect(isWildcard(host), host).toBe(false);
    });

    it("canonicalises names the way a browser's Host header does", () => {
        expect(canonicalHost("[0:0:0:0:0:0:0:1]")).toBe("::1");
        expect(canonicalHost("KVShare.Clinic.LAN.")).toBe("kvshare.clinic.lan");
        expect(canonicalHost("::ffff:10.1.2.3")).toBe("10.1.2.3");
    });

    it("allows turning the key off on loopback only", () => {
        expect(unsafeAuthReason({host: "0:0:0:0:0:0:0:1", auth: false})).toBeUndefined();
        expect(unsafeAuthReason({host: "0.0.0.0", auth: true})).toBeUndefined();
        expect(unsafeAuthReason({host: "0.0.0.0", auth: false})).toMatch(/only allowed on a loopback address/);
        expect(unsafeAuthReason({host: "::", auth: false})).toMatch(/only allowed on a loopback address/);
    });
});
