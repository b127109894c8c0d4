import {setBackend} from "../backend/current.js";
import {APP_USER} from "../backend/whoami.js";
import {useChatStream} from "../stores/useChatStream.js";
import {useConnection} from "../stores/useConnection.js";
import {useConversations} from "../stores/useConversations.js";
import {useDrafts} from "../stores/useDrafts.js";
import {useSignedIn} from "../stores/useSignedIn.js";
import {FakeBackend} from "./fakes.js";

/**
 * Every chat test starts the same way: empty storage, a fresh fake backend, no conversations, nothing
 * streaming; `connection` sets how connected the app believes it is.
 */
export function freshChatState(connection: Partial<ReturnType<typeof useConnection.getState>>): FakeBackend {
    localStorage.clear();
    const backend = new FakeBackend();
    setBackend(backend);
    useConversations.setState({
        conversations: [],
        activeId: null,
        removedIds: [],
        removedAt: {},
        restoredIds: [],
        recentlyRemoved: null,
        loaded: false,
        olderCursor: null
    });
    useDrafts.setState({drafts: {}});
    useChatStream.setState({answers: {}});
    useConnection.setState(connection);
    // The app's own key, as the server said: the chats are saved to the server (a test of an issued key says so).
    useSignedIn.setState({signedIn: {...APP_USER, keyRequired: true}});
    return backend;
}
