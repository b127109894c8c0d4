import {afterEach, beforeEach, describe, expect, it, vi} from "vitest";
import {setBackend} from "../backend/current.js";
import {ApiError} from "../backend/errors.js";
import {FakeBackend} from "../testing/fakes.js";
import {useConnection} from "./useConnection.js";
import {selectCanLoad, useModels} from "./useModels.js";

const state = () => useModels.getState();
const tiny = "/data/models/TinyStories-656K-Q8_0.gguf";
const stories = "/data/models/stories260K.gguf";

describe("useModels", () => {
    let backend: FakeBackend;
    beforeEach(() => {
        backend = new FakeBackend();
        setBackend(backend);
        useModels.setState({models: [], modelsDir: null, status: null, selected: null, error: null, watching: false, pollMs: 0});
    });
    afterEach(() => setBackend(null));

    it("lists the models and selects the current one", async () => {
        await state().refresh();
        expect(state().models.map((m) => m.id)).toEqual(["stories260K", "TinyStories-656K-Q8_0"]);
        expect(state().modelsDir).toBe("/data/models");
        expect(state().selected).toBe(stories);
        expect(selectCanLoad(state())).toBe(false);
        state().select(tiny);
        expect(selectCanLoad(state())).toBe(true);
    });

    it("switches model and follows the load progress to the end, then refreshes the connection", async () => {
        await state().refresh();
        state().select(tiny);
        const seen: number[] = [];
        let loadBlocked = false;
        const unsubscribe = useModels.subscribe((s) => {
            if (s.status && s.status.progress !== seen.at(-1)) seen.push(s.status.progress);
            if (s.status?.status === "loading" && !selectCanLoad(s)) loadBlocked = true;
        });
        const connectionRefresh = vi.spyOn(useConnection.getState(), "refresh");
        // The server reports 0.5, then done, on the following status reads.
        let reads = 0;
        const admin = backend.adminFake;
        const original = admin.run.bind(admin);
        admin.run = (async (op, input) => {
            if (op === "modelStatus") {
                reads++;
                admin.modelStatus = reads === 1 ? {...admin.modelStatus, progress: 0.5} : {...admin.modelStatus, status: "ok", progress: 1};
            }
            return original(op, input);
        }) as typeof admin.run;

        await state().load();
        unsubscribe();
        expect(loadBlocked).toBe(true);
        expect(seen).toEqual(expect.arrayContaining([0, 0.5, 1]));
        expect(state().status).toMatchObject({status: "ok", modelId: "TinyStories-656K-Q8_0", modelPath: tiny});
        expect(state().models.find((m) => m.current)?.path).toBe(tiny);
        expect(state().watching).toBe(false);
        expect(state().error).toBeNull();
        expect(connectionRefresh).toHaveBeenCalled();
        expect(admin.calls.filter((c) => c.op === "loadModel").map((c) => c.input)).toEqual([{path: tiny}]);
    });

    it("shows a refused switch and a failed load", async () => {
        await state().refresh();
        await state().load("/elsewhere/missing.gguf");
        expect(state().error).toBe("No model file at /elsewhere/missing.gguf.");
        await state().load("missing.gguf");
        expect(state().error).toMatch(/must be one of the listed models/);
        expect(state().status?.status).toBe("ok");

        backend.adminFake.modelStatus = {status: "error", progress: 0.2, modelId: "broken", modelPath: tiny, error: "failed to load model"};
        await state().refresh();
        expect(state().error).toBe("failed to load model");
        expect(selectCanLoad(state())).toBe(true);

        // A load that failed while the model loaded before serves on: "ok", with why.
        const kept = "Could not switch models: it is too large for the available RAM. Still serving stories260K.";
        backend.adminFake.modelStatus = {status: "ok", progress: 1, modelId: "stories260K", modelPath: stories, error: kept};
        await state().refresh();
        expect(state().error).toBe(kept);
    });

    it("follows a load that was already running when the list was read", async () => {
        backend.adminFake.modelStatus = {status: "loading", progress: 0.3, modelId: "stories260K", modelPath: stories, error: null};
        setTimeout(() => (backend.adminFake.modelStatus = {...backend.adminFake.modelStatus, status: "ok", progress: 1}), 20);
        await state().refresh();
        expect(state().status?.status).toBe("loading");
        await vi.waitFor(() => expect(state().status?.status).toBe("ok"));
    });

    it("reports a list failure", async () => {
        backend.adminFake.failing.set("listModels", new ApiError("Internal server error", 500));
        await state().refresh();
        expect(state().error).toMatch(/Internal server error/);
        expect(state().models).toEqual([]);
    });
});
