import {useConversations} from "./useConversations.js";
import {useProfiles} from "./useProfiles.js";
import {useView} from "./useView.js";

/** A new chat for the profile in use, shown, with the focus in its message box (the button, the menu, the shortcut). */
export function startNewChat(): void {
    useConversations.getState().create(useProfiles.getState().active);
    useView.getState().show("chat");
    useView.getState().focusComposer();
}
