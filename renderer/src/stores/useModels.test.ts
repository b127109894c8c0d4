import {afterEach, beforeEach, describe, expect, it, vi} from "vitest";
import {setBackend} from "../backend/current.js";
import {ApiError} from "../backend/errors.js";
import {FakeBackend} from "../testing/fakes.js";
import {useConnection} from "./useConnection.js";
import type {ModelFile} from "../../../shared/admin.js";
import {contextFit, MODEL_REFRESH_THROTTLE_MS, pickerModels, selectCanLoad, useModels, noModelsYet} from "./useModels.js";

const state = () => useModels.getState();
const tiny = "/data/models/TinyStories-656K-Q8_0.gguf";
const stories = "/data/models/stories260K.gguf";

describe("useModels", () => {
    let backend: FakeBackend;
    /** A vocabulary-only file in the models folder, as the server lists one: with why it cannot be served. */
    const addVocabularyOnly = (): ModelFile => {
        const broken: ModelFile = {
            ...backend.adminFake.models[1]!,
            path: "/data/models/vocab.gguf",
            id: "vocab",
            problem: "it holds no weights (a vocabulary-only file)"
        };
        backend.adminFake.models.push(broken);
        return broken;
    };
    beforeEach(() => {
        backend = new FakeBackend();
        setBackend(backend);
        useModels.setState({...noModelsYet, pollMs: 0});
    });
    afterEach(() => {
        setBackend(null);
        vi.useRealTimers();
    });

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

    it("reads the list again on focus at most once per throttle period, and never twice at once", async () => {
        vi.useFakeTimers({toFake: ["Date"]});
        const lists = () => backend.adminFake.calls.filter((c) => c.op === "listModels").length;
        await state().refresh();
        expect(lists()).toBe(1);
        // A file copied into the folder meanwhile: focus right after the last read does not read again...
        backend.adminFake.models.push({...backend.adminFake.models[1]!, path: "/data/models/new.gguf", id: "new"});
        state().refreshStale();
        expect(lists()).toBe(1);
        // ...focus once the period is over does, and shows the new file.
        vi.setSystemTime(Date.now() + MODEL_REFRESH_THROTTLE_MS);
        state().refreshStale();
        state().refreshStale();
        await vi.waitFor(() => expect(state().refreshing).toBe(false));
        expect(lists()).toBe(2);
        expect(state().models.map((m) => m.id)).toContain("new");
    });

    it("offers no Load for a file that cannot be served, and does not keep it chosen once the list says so", async () => {
        const broken = addVocabularyOnly();
        await state().refresh();
        state().select(broken.path);
        expect(selectCanLoad(state())).toBe(false);
        // Chosen while it still looked whole, then found broken by the next read: the choice goes back to the served model.
        state().select(tiny);
        backend.adminFake.models[1] = {...backend.adminFake.models[1]!, problem: "the file is truncated (10 bytes; its tensor table points past the end)"};
        await state().refresh();
        expect(state().selected).toBe(stories);
    });

    it("keeps a refused load's reason through later reads of the list, until the next load", async () => {
        const broken = addVocabularyOnly();
        await state().refresh();
        await state().load(broken.path);
        const refusal = "vocab.gguf cannot be served: it holds no weights (a vocabulary-only file).";
        expect(state().error).toBe(refusal);
        // The window regains the focus: the list is read again, and the reason stays.
        await state().refresh();
        expect(state().error).toBe(refusal);
        const loading = state().load(tiny);
        await vi.waitFor(() => expect(state().status?.status).toBe("loading"));
        expect(state().error).toBeNull();
        backend.adminFake.finishLoad();
        await loading;
        await state().refresh();
        expect(state().error).toBeNull();
    });

    it("lists the files that cannot be served after every model there is to choose", () => {
        const [stories260K, tinyStories] = backend.adminFake.models as [ModelFile, ModelFile];
        const broken: ModelFile = {...tinyStories, path: "/data/models/a-broken.gguf", id: "a-broken", problem: "it is not a GGUF file"};
        expect(pickerModels([broken, stories260K, tinyStories]).map((m) => m.id)).toEqual(["stories260K", "TinyStories-656K-Q8_0", "a-broken"]);
    });

    it("compares the context the server runs with to the one the model was trained with", () => {
        expect(contextFit({contextLength: 2048}, 4096)).toEqual({trained: 2048, running: 4096, longer: true});
        expect(contextFit({contextLength: 2048}, 2048)).toEqual({trained: 2048, running: 2048, longer: false});
        expect(contextFit({contextLength: null}, 4096)).toBeNull();
        expect(contextFit({contextLength: 2048}, undefined)).toBeNull();
        expect(contextFit(undefined, 4096)).toBeNull();
    });
});
