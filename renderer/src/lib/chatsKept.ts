/**
 * Where the chats are kept, in the words every place that says so uses (the chat page's intro, the sidebar's
 * footer): the app's own key saves them in the server's database; an issued key (chat only) keeps them in this
 * browser alone, since the server keeps no chats for it.
 */
export const CHATS_ON_SERVER = "Your chats are saved in this KVShare server's database.";
export const CHATS_IN_BROWSER = "Your chats are kept in this browser only, not on the server: signing out forgets them.";
