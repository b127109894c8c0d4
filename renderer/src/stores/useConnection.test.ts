import {afterEach, beforeEach, describe, expect, it} from "vitest";
import {setBackend} from "../backend/current.js";
import {ApiError} from "../backend/errors.js";
import {API_KEY_STORAGE} from "../backend/apiKey.js";
import {FakeBackend, health} from "../testing/fakes.js";
import {selectModelName, useConnection} from "./useConnection.js";

describe("useConnection", () => {
    let backend: FakeBackend;
    beforeEach(() => {
        localStorage.clear();
        backend = new FakeBackend();
        setBackend(backend);
        useConnection.setState({apiKey: null, status: "checking", health: null, models: [], error: null});
    });
    afterEach(() => setBackend(null));

    it("reads the key from the URL fragment first, else from storage", () => {
        localStorage.setItem(API_KEY_STORAGE, "stored");
        useConnection.getState().init();
        expect(useConnection.getState().apiKey).toBe("stored");
        window.history.replaceState(null, "", "/#key=fresh");
        useConnection.getState().init();
        expect(useConnection.getState().apiKey).toBe("fresh");
        expect(localStorage.getItem(API_KEY_STORAGE)).toBe("fresh");
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
