import {afterEach, beforeEach, describe, expect, it} from "vitest";
import {setBackend} from "./backend/current.js";
import {subscribeMenuCommands} from "./menuCommands.js";
import {useConversations} from "./stores/useConversations.js";
import {useProfiles} from "./stores/useProfiles.js";
import {useView} from "./stores/useView.js";
import {FakeBridge} from "./testing/fakeBridge.js";
import {FakeBackend} from "./testing/fakes.js";

describe("application menu commands", () => {
    beforeEach(() => {
        localStorage.clear();
        setBackend(new FakeBackend());
        useProfiles.setState({active: "Nurse"});
        useView.setState({view: "dashboard"});
        useConversations.setState({conversations: [], activeId: null});
    });
    afterEach(() => setBackend(null));

    it("File → New Chat starts a chat for the active profile and shows it", () => {
        const bridge = new FakeBridge();
        const unsubscribe = subscribeMenuCommands(bridge);
        expect(bridge.menuListenerCount).toBe(1);
        bridge.emitMenu("new-chat");
        const {conversations, activeId} = useConversations.getState();
        expect(conversations).toHaveLength(1);
        expect(conversations[0]).toMatchObject({id: activeId, profile: "Nurse"});
        expect(useView.getState().view).toBe("chat");
        unsubscribe();
        expect(bridge.menuListenerCount).toBe(0);
    });

    it("does nothing without a bridge or with an older preload", () => {
        expect(subscribeMenuCommands(undefined)).toBeTypeOf("function");
        const old = new FakeBridge();
        (old as {onMenuCommand?: unknown}).onMenuCommand = undefined;
        subscribeMenuCommands(old)();
    });
});
