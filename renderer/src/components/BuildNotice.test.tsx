import {act, cleanup, fireEvent, render, screen} from "@testing-library/react";
import {afterEach, beforeEach, describe, expect, it} from "vitest";
import type {ModelObject} from "../../../shared/openai.js";
import {APP_USER} from "../backend/whoami.js";
import {useConnection} from "../stores/useConnection.js";
import {useSignedIn} from "../stores/useSignedIn.js";
import {BuildNotice} from "./BuildNotice.js";

const model = (meta: NonNullable<ModelObject["meta"]>): ModelObject => ({id: "m", object: "model", created: 0, owned_by: "local", meta});
const base = {context_size: 512, parallel: 2, architecture: "llama"};

describe("BuildNotice", () => {
    // The app's own key (the admin), as the server said: the notice is theirs to act on.
    beforeEach(() => useSignedIn.setState({signedIn: APP_USER}));
    afterEach(() => {
        cleanup();
        useConnection.setState({models: []});
        useSignedIn.setState({signedIn: null});
        sessionStorage.clear();
    });

    it("stays hidden on a patched build with nothing lost", () => {
        useConnection.setState({models: [model({...base, kv_editing: true, backend: "vulkan", kvshare_patched: true, devices: ["GPU"]})]});
        render(<BuildNotice />);
        expect(screen.queryByTestId("build-notice")).toBeNull();
    });

    it("says that KV sharing is off and what to run on a stock GPU binary", () => {
        const notice = "no KVShare-patched Vulkan build for GPU (Vulkan): …; run `npm run build:native -- --gpu vulkan` to build it";
        useConnection.setState({
            models: [model({...base, kv_editing: false, backend: "vulkan", kvshare_patched: false, devices: ["GPU"], build_notice: notice})]
        });
        render(<BuildNotice />);
        const text = screen.getByTestId("build-notice").textContent ?? "";
        expect(text).toMatch(/^Semantic KV sharing is off\./);
        expect(text).toContain("npm run build:native -- --gpu vulkan");
    });

    it("says that the GPU is idle when the patched CPU build was chosen instead", () => {
        useConnection.setState({
            models: [model({...base, kv_editing: true, backend: "cpu", kvshare_patched: true, devices: [], build_notice: "GPU (CUDA) is not used: …"})]
        });
        render(<BuildNotice />);
        expect(screen.getByTestId("build-notice").textContent).toMatch(/^The GPU is not used\. GPU \(CUDA\) is not used/);
    });

    const stock = () =>
        useConnection.setState({models: [model({...base, kv_editing: false, backend: "cpu", kvshare_patched: false, devices: [], build_notice: "run it"})]});

    it("can be dismissed for the session: not shown again on the next page of this tab", () => {
        stock();
        render(<BuildNotice />);
        fireEvent.click(screen.getByRole("button", {name: "Dismiss the build notice"}));
        expect(screen.queryByTestId("build-notice")).toBeNull();
        cleanup();
        render(<BuildNotice />);
        expect(screen.queryByTestId("build-notice")).toBeNull();
        sessionStorage.clear();
        cleanup();
        render(<BuildNotice />);
        expect(screen.getByTestId("build-notice")).toBeTruthy();
    });

    it("is not shown to one signed in with an issued key (the chat alone): the admin's to act on", () => {
        stock();
        useSignedIn.setState({signedIn: {...APP_USER, app: false}});
        render(<BuildNotice />);
        expect(screen.queryByTestId("build-notice")).toBeNull();
        useSignedIn.setState({signedIn: APP_USER});
        cleanup();
        render(<BuildNotice />);
        expect(screen.getByTestId("build-notice")).toBeTruthy();
    });

    it("waits for the server to say who the key is, and is shown again to the next person after a sign-out", () => {
        stock();
        useSignedIn.setState({signedIn: null});
        render(<BuildNotice />);
        expect(screen.queryByTestId("build-notice")).toBeNull();
        act(() => useSignedIn.setState({signedIn: APP_USER}));
        fireEvent.click(screen.getByRole("button", {name: "Dismiss the build notice"}));
        expect(screen.queryByTestId("build-notice")).toBeNull();
        // A sign-out forgets the session's storage; the next admin signs in.
        act(() => {
            sessionStorage.clear();
            useSignedIn.setState({signedIn: null});
        });
        act(() => useSignedIn.setState({signedIn: APP_USER}));
        expect(screen.getByTestId("build-notice")).toBeTruthy();
    });
});
