import {afterEach, describe, expect, it} from "vitest";
import {FakeBridge} from "../testing/fakeBridge.js";
import {FakeBackend} from "../testing/fakes.js";
import {BridgeBackend} from "./bridgeBackend.js";
import {createBackend, getBackend, setBackend} from "./current.js";
import {HttpBackend} from "./httpBackend.js";

describe("createBackend", () => {
    afterEach(() => {
        delete window.kvshare;
        setBackend(null);
    });

    it("uses the preload bridge when window.kvshare exists", () => {
        window.kvshare = new FakeBridge();
        const backend = createBackend();
        expect(backend).toBeInstanceOf(BridgeBackend);
        expect(backend.kind).toBe("electron");
    });

    it("falls back to HTTP on the page's origin", () => {
        expect(createBackend()).toBeInstanceOf(HttpBackend);
        expect(createBackend().kind).toBe("http");
    });

    it("keeps one backend until replaced", () => {
        const first = getBackend();
        expect(getBackend()).toBe(first);
        const fake = new FakeBackend();
        setBackend(fake);
        expect(getBackend()).toBe(fake);
    });
});
