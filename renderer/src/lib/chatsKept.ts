/**
 * Where the chats are kept, in the words every place that says so uses (the chat page's intro, the sidebar's
 * footer): the app's own key saves them in the server's database; an issued key (chat only) keeps them in this
 * browser alone, since the server keeps no chats for it.
 */
export const CHATS_ON_SERVER = "Your chats are saved in this KVShare server's database.";
// True to the letter: the server keeps no chat list for an issued key, but what is sent is cached as prompts (and logged),
// which the server's administrator sees.
export const CHATS_IN_BROWSER =
    "Your chat list is kept in this browser only: signing out forgets it. What you send is also kept in the server's cache, which its administrator can see.";
