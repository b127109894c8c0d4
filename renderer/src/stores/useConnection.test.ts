import {afterEach, beforeEach, describe, expect, it, vi} from "vitest";
import {setBackend} from "../backend/current.js";
import {ApiError} from "../backend/errors.js";
import {API_KEY_STORAGE, LINK_KEY_REFUSED} from "../backend/apiKey.js";
import {FakeBackend, health} from "../testing/fakes.js";
import {selectModelName, useConnection} from "./useConnection.js";

describe("useConnection", () => {
    let backend: FakeBackend;
    beforeEach(() => {
        localStorage.clear();
        backend = new FakeBackend();
        setBackend(backend);
        useConnection.setState({apiKey: null, status: "checking", health: null, models: [], error: null, keyNotice: null});
    });
    afterEach(() => setBackend(null));

    it("reads the key from the URL fragment first, else from storage", async () => {
        await useConnection.getState().init();
        expect(useConnection.getState().apiKey).toBeNull();
        window.history.replaceState(null, "", "/#key=fresh");
        void useConnection.getState().init();
        // No key stored: the link's is taken at once.
        expect(useConnection.getState().apiKey).toBe("fresh");
        expect(localStorage.getItem(API_KEY_STORAGE)).toBe("fresh");
        await useConnection.getState().init();
        expect(useConnection.getState().apiKey).toBe("fresh");
    });

    it("keeps the stored key over a link's key the server refuses, says so once, and reads the server only once that is settled", async () => {
        localStorage.setItem(API_KEY_STORAGE, "good");
        let answer!: () => void;
        const answered = new Promise<void>((resolve) => (answer = resolve));
        const asked: string[] = [];
        vi.stubGlobal("fetch", async (_input: RequestInfo | URL, init?: RequestInit) => {
            const key = new Headers(init?.headers).get("authorization")?.replace(/^Bearer /, "") ?? "";
            asked.push(key);
            await answered;
            return new Response("{}", {status: key === "good" ? 200 : 401});
        });
        try {
            window.history.replaceState(null, "", "/#key=stale");
            const settled = useConnection.getState().init();
            const refreshed = useConnection.getState().refresh();
            expect(window.location.hash).toBe("");
            expect(useConnection.getState().apiKey).toBe("good");
            await Promise.resolve();
            expect(useConnection.getState().status).toBe("checking");
            answer();
            await settled;
            await refreshed;
            expect(asked).toEqual(["stale", "good"]);
            expect(useConnection.getState()).toMatchObject({apiKey: "good", status: "ok", keyNotice: LINK_KEY_REFUSED});
            expect(localStorage.getItem(API_KEY_STORAGE)).toBe("good");
            useConnection.getState().dismissKeyNotice();
            expect(useConnection.getState().keyNotice).toBeNull();
        } finally {
            vi.unstubAllGlobals();
        }
    });

    it("loads health and the model list", async () => {
        await useConnection.getState().refresh();
        const s = useConnection.getState();
        expect(s.status).toBe("ok");
        expect(selectModelName(s)).toBe("stories260K");
        expect(s.health?.slots_idle).toBe(4);
    });

    it("reports a loading model", async () => {
        backend.healthImpl = async () => ({...health, status: "loading"});
        await useConnection.getState().refresh();
        expect(useConnection.getState().status).toBe("loading");
    });

    it("asks for a key on 401 and retries with the pasted one", async () => {
        backend.modelsImpl = async () => {
            throw new ApiError("Invalid API key", 401, "authentication_error");
        };
        await useConnection.getState().refresh();
        expect(useConnection.getState()).toMatchObject({status: "unauthorized", error: "Invalid API key"});

        backend.modelsImpl = async () => [];
        await useConnection.getState().setApiKey(" pasted ");
        expect(useConnection.getState()).toMatchObject({status: "ok", apiKey: "pasted", error: null});
        expect(localStorage.getItem(API_KEY_STORAGE)).toBe("pasted");
    });

    it("shows other failures as unavailable", async () => {
        backend.healthImpl = async () => {
            throw new TypeError("Failed to fetch");
        };
        await useConnection.getState().refresh();
        expect(useConnection.getState()).toMatchObject({status: "error", error: "Failed to fetch"});
    });
});
