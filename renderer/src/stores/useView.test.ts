import {beforeEach, describe, expect, it} from "vitest";
import {useView} from "./useView.js";

describe("useView", () => {
    beforeEach(() => {
        window.history.replaceState(null, "", "/");
        useView.setState({view: "chat"});
    });

    it("switches pages and keeps the page in the URL", () => {
        useView.getState().show("dashboard");
        expect(useView.getState().view).toBe("dashboard");
        expect(window.location.hash).toBe("#/dashboard");
        useView.getState().show("chat");
        expect(window.location.hash).toBe("");
    });
});
