import {act, cleanup, fireEvent, render, screen} from "@testing-library/react";
import {afterEach, beforeEach, describe, expect, it} from "vitest";
import {LINK_KEY_REFUSED, LINK_KEY_REPLACED, loadApiKey, saveApiKey} from "../backend/apiKey.js";
import {setBackend} from "../backend/current.js";
import {useConnection} from "../stores/useConnection.js";
import {useSignedIn} from "../stores/useSignedIn.js";
import {freshChatState} from "../testing/freshChatState.js";
import {KeyNotice} from "./KeyNotice.js";

describe("KeyNotice", () => {
    beforeEach(() => {
        freshChatState({apiKey: "sk-ana", status: "ok", error: null});
        saveApiKey("sk-ana");
    });
    afterEach(() => {
        cleanup();
        setBackend(null);
    });

    it("where a link's key was refused, names whose saved key is still used and offers to sign it out", async () => {
        useSignedIn.setState({signedIn: {app: false, name: "student-ana", group: "class-4b", keyRequired: true}});
        useConnection.setState({keyNotice: LINK_KEY_REFUSED});
        render(<KeyNotice />);
        expect(screen.getByTestId("key-notice").textContent).toContain("Signed in as student-ana (group class-4b). Not you?");
        fireEvent.click(screen.getByTestId("key-notice-sign-out"));
        await act(async () => fireEvent.click(screen.getByTestId("key-notice-sign-out-confirm")));
        expect(loadApiKey()).toBeNull();
        expect(useConnection.getState()).toMatchObject({apiKey: null, status: "unauthorized", keyNotice: null});
    });

    it("offers a link's key while another is signed in, saying whose each is: taken only once asked for", async () => {
        useSignedIn.setState({signedIn: {app: true, name: "admin", group: null, keyRequired: true}});
        useConnection.setState({keyOffer: {key: "sk-bo", who: {app: false, name: "bo", group: "class-4b", keyRequired: true}}});
        render(<KeyNotice />);
        expect(screen.getByTestId("key-offer").textContent).toContain("This link signs in as bo (group class-4b). This browser is signed in as admin.");
        expect(screen.getByRole("group", {name: /This link signs in as bo/})).toBeTruthy();
        expect(loadApiKey()).toBe("sk-ana");
        fireEvent.click(screen.getByRole("button", {name: "Stay signed in as admin"}));
        expect(screen.queryByTestId("key-offer")).toBeNull();
        expect(useConnection.getState()).toMatchObject({apiKey: "sk-ana", keyOffer: null, keyNotice: null});

        act(() => useConnection.setState({keyOffer: {key: "sk-bo", who: null}}));
        expect(screen.getByTestId("key-offer").textContent).toContain("This link signs in with another key.");
        await act(async () => fireEvent.click(screen.getByRole("button", {name: "Sign in with the link's key"})));
        expect(loadApiKey()).toBe("sk-bo");
        expect(useConnection.getState()).toMatchObject({apiKey: "sk-bo", keyOffer: null, keyNotice: LINK_KEY_REPLACED});
        expect(screen.getByTestId("key-notice").textContent).toContain("Signed in with the link's key.");
    });

    it("drops an offer once another key is taken here (another tab's sign-in, the key screen): it was asked of the key before", async () => {
        useConnection.setState({keyOffer: {key: "sk-bo", who: null}});
        render(<KeyNotice />);
        expect(screen.getByTestId("key-offer")).toBeTruthy();
        await act(async () => useConnection.getState().setApiKey("sk-cy"));
        expect(screen.queryByTestId("key-offer")).toBeNull();
    });

    it("names nobody until the server has said who the key is, nor where the link's key was taken", () => {
        useSignedIn.setState({signedIn: null});
        useConnection.setState({keyNotice: LINK_KEY_REFUSED});
        render(<KeyNotice />);
        expect(screen.getByTestId("key-notice").textContent).not.toContain("Signed in as");
        act(() => useSignedIn.setState({signedIn: {app: true, name: "admin", group: null, keyRequired: true}}));
        expect(screen.getByTestId("key-notice-name").textContent).toBe("admin");
        act(() => useConnection.setState({keyNotice: LINK_KEY_REPLACED}));
        expect(screen.queryByTestId("key-notice-name")).toBeNull();
        expect(screen.queryByTestId("key-notice-sign-out")).toBeNull();
    });
});
