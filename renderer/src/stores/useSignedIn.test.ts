import {afterEach, beforeEach, describe, expect, it} from "vitest";
import type {SignedIn} from "../../../shared/admin.js";
import {setBackend} from "../backend/current.js";
import {ApiError} from "../backend/errors.js";
import {APP_USER} from "../backend/whoami.js";
import {FakeBackend} from "../testing/fakes.js";
import {FakeBridge} from "../testing/fakeBridge.js";
import {BridgeBackend} from "../backend/bridgeBackend.js";
import {useConnection} from "./useConnection.js";
import {keepsChatsOnServer, selectChatOnly, selectMayAdmin, signedInKnown, useSignedIn} from "./useSignedIn.js";

describe("useSignedIn", () => {
    let backend: FakeBackend;
    beforeEach(() => {
        backend = new FakeBackend();
        setBackend(backend);
        useConnection.setState({apiKey: "k1", status: "ok", error: null});
        useSignedIn.setState({signedIn: null});
    });
    afterEach(() => setBackend(null));

    it("asks the server who an issued key is: the chat alone, its chats kept in this browser", async () => {
        backend.asMember("student-ana", "class-4b");
        expect(await useSignedIn.getState().load()).toEqual({app: false, name: "student-ana", group: "class-4b", keyRequired: true});
        const state = useSignedIn.getState();
        expect(selectChatOnly(state)).toBe(true);
        expect(selectMayAdmin(state)).toBe(false);
        expect(keepsChatsOnServer()).toBe(false);
    });

    it("offers the app's own key everything, and nothing while the server has not said", async () => {
        expect(selectMayAdmin(useSignedIn.getState())).toBe(false);
        expect(selectChatOnly(useSignedIn.getState())).toBe(false);
        expect(keepsChatsOnServer()).toBe(false);
        await useSignedIn.getState().load();
        expect(selectMayAdmin(useSignedIn.getState())).toBe(true);
        expect(keepsChatsOnServer()).toBe(true);
    });

    it("takes the Electron window for the app's own user without asking", async () => {
        setBackend(new BridgeBackend(new FakeBridge()));
        expect(await useSignedIn.getState().load()).toEqual(APP_USER);
    });

    it("forgets who it was when the key changes, and drops an answer about the key before", async () => {
        let answer!: (who: SignedIn) => void;
        backend.whoami = () => new Promise<SignedIn>((resolve) => (answer = resolve));
        const asking = useSignedIn.getState().load();
        useConnection.setState({apiKey: "k2"});
        answer({app: true, name: "admin", group: null, keyRequired: true});
        expect(await asking).toBeNull();
        expect(useSignedIn.getState().signedIn).toBeNull();

        setBackend(new FakeBackend().asMember());
        await useSignedIn.getState().load();
        expect(useSignedIn.getState().signedIn?.app).toBe(false);
        useConnection.setState({apiKey: null});
        expect(useSignedIn.getState().signedIn).toBeNull();
    });

    it("asks for a key where the server does not know this one", async () => {
        backend.whoami = async () => {
            throw new ApiError("Incorrect API key provided.", 401);
        };
        expect(await useSignedIn.getState().load()).toBeNull();
        expect(useConnection.getState().status).toBe("unauthorized");
    });
});

describe("signedInKnown", () => {
    beforeEach(() => {
        useConnection.setState({apiKey: "k1"});
        useSignedIn.setState({signedIn: null});
    });

    it("waits for the server's word, or gives up where the key changes first", async () => {
        const waiting = signedInKnown();
        useSignedIn.setState({signedIn: APP_USER});
        expect(await waiting).toEqual(APP_USER);
        expect(await signedInKnown()).toEqual(APP_USER);

        useSignedIn.setState({signedIn: null});
        const given = signedInKnown();
        useConnection.setState({apiKey: "k2"});
        expect(await given).toBeNull();
    });
});
