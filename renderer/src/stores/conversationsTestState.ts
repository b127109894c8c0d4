import {setBackend} from "../backend/current.js";
import {APP_USER} from "../backend/whoami.js";
import {useSignedIn} from "./useSignedIn.js";
import {FakeBackend} from "../testing/fakes.js";
import {noChatsYet, useConversations} from "./useConversations.js";

/**
 * Every test of the chats' store starts the same way: empty storage, a fresh fake server (saves never reach
 * the network), no chats, nothing deleted, no notices. Returns the fake server.
 */
export function freshConversations(): FakeBackend {
    localStorage.clear();
    const backend = new FakeBackend();
    setBackend(backend);
    // Whether the list was read stays as the test before left it.
    useConversations.setState({...noChatsYet, loaded: useConversations.getState().loaded});
    // The app's own key, as the server said: the chats are saved to the server (a test of an issued key says so).
    useSignedIn.setState({signedIn: APP_USER});
    return backend;
}
