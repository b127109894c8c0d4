import os from "node:os";
/**
 * The renderer's tests run against FakeAdmin (renderer/src/testing/fakeAdmin.ts) instead of a server.
 * This holds the fake to the real one: every admin operation of shared/admin.ts is called on both,
 * the server through the renderer's own HTTP backend, with the same inputs, valid and invalid, in the
 * same order. Answers must have the same shape (and the same values where both sides hold the same
 * state); refusals the same HTTP status, error type, code and message.
 */
import net from "node:net";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {adminOps, type AdminInput, type AdminOp, type AdminOutput, type ConversationRecord} from "../../shared/admin.js";
import {conversationCursor} from "../../shared/conversationSearch.js";
import {ApiError} from "../../renderer/src/backend/errors.js";
import {HttpBackend} from "../../renderer/src/backend/httpBackend.js";
import {FakeAdmin} from "../../renderer/src/testing/fakeAdmin.js";
import {testGpuSetting} from "../support/backend.js";
import {startTestServer, testApiKey, type TestServer} from "../support/testServer.js";
import {waitFor} from "../support/waitFor.js";

type Call = <K extends AdminOp>(op: K, input: AdminInput<K>) => Promise<AdminOutput<K>>;

interface Case {
    what: string;
    /**
     * Runs on each side with that side's `call`. "shape": the answers must have the same keys and value
     * types all the way down; "equal": what `run` returns must be equal (it picks what both sides know).
     */
    compare: "shape" | "equal";
    run(call: Call): Promise<unknown>;
}

/** An input the server must refuse (TypeScript would not let the renderer send it). */
const bad = <T>(input: unknown) => input as T;

let server: TestServer;
let backend: HttpBackend;
let fake: FakeAdmin;
/** A port something else listens on, for the busy-port refusal. */
let busy: net.Server;
let busyPort: number;

const conversation = (id: string, profile: string, updatedAt: number): ConversationRecord => ({
    id,
    title: `Chat ${id}`,
    profile,
    systemPrompt: "Be brief.",
    params: {temperature: 0.2, max_tokens: 64, top_k: 20, min_p: 0.1, repeat_penalty: 1.1},
    createdAt: updatedAt - 1000,
    updatedAt,
    messages: [
        {id: `${id}-1`, role: "user", content: "Hello", createdAt: updatedAt - 900},
        {id: `${id}-2`, role: "assistant", content: "Hi.", createdAt: updatedAt - 800, stats: {ttftMs: 12}, error: "cut short"}
    ]
});
const at = Date.UTC(2025, 0, 2);

/** The cases of every operation; `satisfies` makes a new operation without cases a type error too. */
const cases = {
    getSettings: [
        {what: "reads the settings", compare: "shape", run: (call) => call("getSettings", {})},
        {
            what: "lists what cannot be changed, or only after a reload",
            compare: "equal",
            run: async (call) => {
                const settings = await call("getSettings", {});
                return {readOnly: settings.readOnly, restartRequired: settings.restartRequired, servesUi: settings.api.servesUi};
            }
        }
    ],
    patchSettings: [
        {what: "changes a sharing knob", compare: "shape", run: (call) => call("patchSettings", {sharing: {topK: 5}})},
        {
            what: "answers with the change made",
            compare: "equal",
            run: async (call) => (await call("patchSettings", {sharing: {topK: 6, minGainTokens: 3}})).sharing.topK
        },
        {
            what: "changes the recompute policy",
            compare: "equal",
            run: async (call) => (await call("patchSettings", {sharing: {recomputePolicy: "epic"}})).sharing.recomputePolicy
        },
        {
            what: "applies a groups change made over older groups to its own lines only, and refuses one over a line changed meanwhile",
            compare: "equal",
            run: async (call) => {
                await call("patchSettings", {sharing: {groups: {ann: "ward-1"}}});
                const base = (await call("getSettings", {})).sharing.groups;
                // Meanwhile, another window adds a line.
                await call("patchSettings", {sharing: {groups: {...base, bo: "ward-2"}}, baseGroups: base});
                const kept = (await call("patchSettings", {sharing: {groups: {...base, cy: "ward-3"}}, baseGroups: base})).sharing.groups;
                const refused = await call("patchSettings", {sharing: {groups: {bo: "ward-9"}, topK: 2}, baseGroups: base}).then(() => "saved", outcomeOfError);
                const after = (await call("getSettings", {})).sharing;
                const replaced = (await call("patchSettings", {sharing: {groups: {}}})).sharing.groups;
                return {kept, refused, after: {groups: after.groups, topK: after.topK}, replaced};
            }
        },
        {
            what: "refuses a base of the groups that is not a map of names",
            compare: "shape",
            run: (call) => call("patchSettings", bad({sharing: {groups: {}}, baseGroups: ["ann"]}))
        },
        {what: "refuses a threshold above 1", compare: "shape", run: (call) => call("patchSettings", {sharing: {similarityThreshold: 1.5}})},
        {what: "refuses an unknown recompute policy", compare: "shape", run: (call) => call("patchSettings", bad({sharing: {recomputePolicy: "fastest"}}))},
        {what: "refuses an unknown sharing setting", compare: "shape", run: (call) => call("patchSettings", bad({sharing: {bogus: 1}}))},
        {what: "refuses to turn off the API that serves the page (headless)", compare: "shape", run: (call) => call("patchSettings", {api: {enabled: false}})},
        {what: "changes a runtime setting", compare: "shape", run: (call) => call("patchSettings", {runtime: {parallel: 4}})},
        {
            what: "saves runtime settings for the next model load, replacing a flag's value; the model serving keeps its own",
            compare: "equal",
            run: async (call) => {
                const before = (await call("getSettings", {})).runtime!;
                const after = (await call("patchSettings", {runtime: {threads: 2, parallel: 3, contextSize: "auto", gpuFallback: "patched-cpu"}})).runtime!;
                const {threads, parallel, contextSize, gpu, gpuFallback} = before;
                // Back to the values the server started with: the contract's model loads read them.
                await call("patchSettings", {runtime: {threads, parallel, contextSize, gpuFallback}});
                return {
                    next: [after.threads, after.parallel, after.contextSize, after.gpuFallback, after.gpu === gpu],
                    saved: [after.saved?.threads, after.saved?.contextSize],
                    flagOverrides: after.flagOverrides,
                    loadedKept: JSON.stringify(after.loaded) === JSON.stringify(before.loaded)
                };
            }
        },
        {what: "refuses threads out of the command line's range", compare: "shape", run: (call) => call("patchSettings", {runtime: {threads: 0}})},
        {what: "refuses more threads than the machine has cores", compare: "shape", run: (call) => call("patchSettings", {runtime: {threads: 4096}})},
        {
            what: "refuses a context size that is neither tokens nor auto",
            compare: "shape",
            run: (call) => call("patchSettings", bad({runtime: {contextSize: "max"}}))
        },
        {what: "refuses an unknown GPU backend", compare: "shape", run: (call) => call("patchSettings", bad({runtime: {gpu: "opencl"}}))},
        {what: "refuses an unknown runtime setting", compare: "shape", run: (call) => call("patchSettings", bad({runtime: {batch: 512}}))},
        {what: "refuses a runtime setting outside its group", compare: "shape", run: (call) => call("patchSettings", bad({threads: 2}))},
        {
            what: "refuses a busy port with 409, changing nothing",
            compare: "equal",
            run: async (call) => {
                const before = (await call("getSettings", {})).api.url;
                const refusal = await call("patchSettings", {api: {port: busyPort}}).then(() => "moved", outcomeOfError);
                return {refusal, unchanged: (await call("getSettings", {})).api.url === before};
            }
        }
    ],
    cacheStats: [
        {what: "reads the dashboard", compare: "shape", run: (call) => call("cacheStats", {})},
        {what: "reads one scope's view", compare: "equal", run: async (call) => (await call("cacheStats", {scope: "group:ward-1", bucketMs: 60_000})).scope},
        {what: "refuses a bucket under a second", compare: "shape", run: (call) => call("cacheStats", {bucketMs: 5})},
        {what: "refuses a negative start", compare: "shape", run: (call) => call("cacheStats", {since: -1})}
    ],
    whatIf: [
        {what: "reads the curves", compare: "shape", run: (call) => call("whatIf", {})},
        {what: "reads one scope's curves", compare: "equal", run: async (call) => (await call("whatIf", {scope: "group:ward-1"})).scope},
        {
            what: "reads one recompute policy's budget curve",
            compare: "equal",
            run: async (call) => (await call("whatIf", {recomputePolicy: "boundary"})).budget.policy
        },
        {what: "refuses an unknown recompute policy", compare: "shape", run: (call) => call("whatIf", bad({recomputePolicy: "all"}))}
    ],
    clearCache: [
        {what: "clears the cache", compare: "shape", run: (call) => call("clearCache", {})},
        {what: "leaves nothing to clear", compare: "equal", run: async (call) => (await call("clearCache", {}), await call("clearCache", {}))}
    ],
    listCachedPrompts: [
        {
            what: "lists nothing once the cache is cleared, whatever the filter",
            compare: "equal",
            run: async (call) => (
                await call("clearCache", {}),
                [await call("listCachedPrompts", {}), await call("listCachedPrompts", {scope: "global", text: "x", offset: 5, limit: 3})]
            )
        },
        {what: "refuses a page of more than 200", compare: "shape", run: (call) => call("listCachedPrompts", {limit: 500})},
        {what: "refuses a negative offset", compare: "shape", run: (call) => call("listCachedPrompts", {offset: -1})},
        {what: "refuses a cursor it did not give out", compare: "shape", run: (call) => call("listCachedPrompts", {cursor: "not-a-cursor"})}
    ],
    deleteCachedPrompt: [
        {what: "answers 404 for an id that is not cached", compare: "shape", run: (call) => call("deleteCachedPrompt", {id: "999999"})},
        {what: "refuses an id that is not a number", compare: "shape", run: (call) => call("deleteCachedPrompt", {id: "abc"})}
    ],
    listConversations: [
        {what: "lists none at first", compare: "equal", run: (call) => call("listConversations", {})},
        {
            what: "lists saved chats, newest first, and one profile's",
            compare: "equal",
            run: async (call) => {
                await call("saveConversation", conversation("c-old", "alice", at));
                await call("saveConversation", conversation("c-new", "bob", at + 5000));
                return {all: await call("listConversations", {}), alice: (await call("listConversations", {profile: "alice"})).map((c) => c.id)};
            }
        },
        {
            what: "lists those after a cursor (older pages), and those holding a text's words in any case",
            compare: "equal",
            run: async (call) => {
                const ids = async (input: AdminInput<"listConversations">) => (await call("listConversations", input)).map((c) => c.id);
                return {
                    older: await ids({before: conversationCursor({lastActiveAt: at + 4200, updatedAt: at + 5000, id: "c-new"})}),
                    none: await ids({before: conversationCursor({lastActiveAt: at - 800, updatedAt: at, id: "c-old"})}),
                    words: await ids({text: "HELLO  chat"}),
                    title: await ids({text: "c-old"}),
                    both: await ids({text: "hello", profile: "bob"}),
                    neither: await ids({text: "hello zebra"})
                };
            }
        },
        {what: "refuses a cursor it did not give out", compare: "shape", run: (call) => call("listConversations", {before: "yesterday"})},
        {
            what: "orders by last message, then sync version, then id; a chat keeps the creation time it was first stored with",
            compare: "equal",
            run: async (call) => {
                // Two chats alike but for their ids (one upper case), and an empty one saved again with a later creation time.
                await call("saveConversation", conversation("c-B", "carol", at));
                await call("saveConversation", conversation("c-a", "carol", at));
                await call("saveConversation", {...conversation("c-empty", "carol", at - 5000), messages: []});
                await call("saveConversation", {...conversation("c-empty", "carol", at + 1), messages: [], createdAt: at + 3000, baseUpdatedAt: at - 5000});
                const listed = await call("listConversations", {profile: "carol"});
                return listed.map((c) => [c.id, c.createdAt]);
            }
        },
        {
            what: "lists the pinned chats only, however old",
            compare: "equal",
            run: async (call) => {
                await call("saveConversation", {...conversation("c-pinned", "alice", at - 90_000), pinned: true});
                await call("saveConversation", conversation("c-loose", "alice", at + 7000));
                return {pinned: await call("listConversations", {pinned: true}), all: (await call("listConversations", {})).map((c) => [c.id, c.pinned])};
            }
        },
        {what: "refuses a pinned that is not true or false", compare: "shape", run: (call) => call("listConversations", bad({pinned: "maybe"}))}
    ],
    saveConversation: [
        {what: "saves a chat", compare: "equal", run: (call) => call("saveConversation", conversation("c-1", "alice", at + 9000))},
        {
            what: "refuses messages that are not a list",
            compare: "shape",
            run: (call) => call("saveConversation", bad({...conversation("c-2", "alice", at), messages: "hi"}))
        },
        {
            what: "refuses a message of another role",
            compare: "shape",
            run: (call) =>
                call("saveConversation", bad({...conversation("c-3", "alice", at), messages: [{id: "m", role: "system", content: "x", createdAt: at}]}))
        },
        {
            what: "keeps what another window saved when a copy would drop it, and answers with it; takes a copy that only adds",
            compare: "equal",
            run: async (call) => {
                const first = conversation("c-x", "alice", at);
                const reply = (id: string, createdAt: number) => ({id, role: "assistant" as const, content: id, createdAt});
                await call("saveConversation", first);
                const theirs = {...first, updatedAt: at + 100, messages: [first.messages[0]!, reply("theirs", at + 50)]};
                const saved = await call("saveConversation", {...theirs, baseUpdatedAt: at});
                const refused = await call("saveConversation", {
                    ...first,
                    updatedAt: at + 200,
                    messages: [first.messages[0]!, reply("mine", at + 60)],
                    baseUpdatedAt: at
                });
                const again = await call("saveConversation", {...theirs, baseUpdatedAt: at});
                const added = await call("saveConversation", {...theirs, updatedAt: at + 300, messages: [...theirs.messages, reply("more", at + 250)]});
                const stored = (await call("listConversations", {})).find((c) => c.id === "c-x")!;
                return {saved, refused, again, added, stored};
            }
        },
        {
            what: "keeps the versions of a chat and which is shown; a copy behind is taken when it holds every version, refused when it drops one",
            compare: "equal",
            run: async (call) => {
                const first = conversation("c-v", "alice", at);
                const [question, answer] = first.messages as [ConversationRecord["messages"][number], ConversationRecord["messages"][number]];
                const edit = {id: "c-v-edit", role: "user" as const, content: "Hello again", createdAt: at + 10};
                await call("saveConversation", first);
                const edited = {...first, updatedAt: at + 100, messages: [{...edit, alternatives: [[question, answer]], alternativeIndex: 1}]};
                const saved = await call("saveConversation", {...edited, baseUpdatedAt: at});
                // Behind (grown from the first save), adding to the old version: it would drop the edit.
                const refused = await call("saveConversation", {...first, updatedAt: at + 200, baseUpdatedAt: at});
                // Behind as well, but holding every message: it shows the first version again.
                const switched = {...first, updatedAt: at + 300, messages: [{...question, alternatives: [[edit]], alternativeIndex: 0}, answer]};
                const taken = await call("saveConversation", {...switched, baseUpdatedAt: at});
                const stored = (await call("listConversations", {})).find((c) => c.id === "c-v")!;
                return {saved, refused, taken, stored};
            }
        },
        {
            what: "keeps a message deleted in one window deleted: a copy read before is saved without it, and hears which were deleted",
            compare: "equal",
            run: async (call) => {
                const first = conversation("c-d", "alice", at);
                const [question, answer] = first.messages as [ConversationRecord["messages"][number], ConversationRecord["messages"][number]];
                await call("saveConversation", first);
                const deleted = await call("saveConversation", {
                    ...first,
                    updatedAt: at + 100,
                    messages: [question],
                    deletedMessageIds: [answer.id],
                    baseUpdatedAt: at
                });
                // A window that read the chat before the deletion adds a question: saved, without the deleted answer.
                const more = {id: "c-d-3", role: "user" as const, content: "More?", createdAt: at + 150};
                const stale = await call("saveConversation", {...first, updatedAt: at + 200, messages: [question, answer, more], baseUpdatedAt: at});
                // A copy that lacks a message it did not delete is still refused.
                const refused = await call("saveConversation", {
                    ...first,
                    updatedAt: at + 300,
                    messages: [question],
                    deletedMessageIds: [answer.id],
                    baseUpdatedAt: at
                });
                const stored = (await call("listConversations", {})).find((c) => c.id === "c-d")!;
                return {deleted, stale, refused, stored};
            }
        },
        {
            what: "merges the settings of saves from one version: changes of different ones both kept, one changed in both the later save's",
            compare: "equal",
            run: async (call) => {
                const first = conversation("c-s", "alice", at);
                const base = {title: first.title, systemPrompt: first.systemPrompt, params: first.params};
                await call("saveConversation", first);
                const renamed = await call("saveConversation", {...first, title: "Named in A", updatedAt: at + 100, baseUpdatedAt: at, baseSettings: base});
                const prompted = await call("saveConversation", {
                    ...first,
                    systemPrompt: "Rhyme.",
                    params: {...first.params, max_tokens: 8},
                    updatedAt: at + 200,
                    baseUpdatedAt: at,
                    baseSettings: base
                });
                const renamedAgain = await call("saveConversation", {
                    ...first,
                    title: "Named in B",
                    updatedAt: at + 300,
                    baseUpdatedAt: at,
                    baseSettings: base
                });
                const stored = (await call("listConversations", {})).find((c) => c.id === "c-s")!;
                return {renamed, prompted, renamedAgain, stored};
            }
        },
        {
            what: "never moves a chat's sync version back: an older copy saved again over a later version is stored as of the later one",
            compare: "equal",
            run: async (call) => {
                const first = conversation("c-back", "alice", at);
                const base = {title: first.title, systemPrompt: first.systemPrompt, params: first.params};
                await call("saveConversation", first);
                // Renamed in another window; then the first window's save of its copy, unchanged, lands again.
                const renamed = await call("saveConversation", {...first, title: "Named in B", updatedAt: at + 500, baseUpdatedAt: at, baseSettings: base});
                const again = await call("saveConversation", {...first, baseUpdatedAt: at, baseSettings: base});
                const stored = (await call("listConversations", {})).find((c) => c.id === "c-back")!;
                return {renamed, again, stored: [stored.title, stored.updatedAt]};
            }
        },
        {
            what: "merges pinning like the other settings: a pin in one window and a rename in another both kept",
            compare: "equal",
            run: async (call) => {
                const first = conversation("c-p", "alice", at);
                const base = {title: first.title, systemPrompt: first.systemPrompt, params: first.params, pinned: false};
                await call("saveConversation", first);
                const pinned = await call("saveConversation", {...first, pinned: true, updatedAt: at + 100, baseUpdatedAt: at, baseSettings: base});
                const renamed = await call("saveConversation", {...first, title: "Named in B", updatedAt: at + 200, baseUpdatedAt: at, baseSettings: base});
                const stored = (await call("listConversations", {})).find((c) => c.id === "c-p")!;
                const unpinned = await call("saveConversation", {...stored, pinned: false, updatedAt: at + 300, baseUpdatedAt: stored.updatedAt});
                return {pinned, renamed, stored, unpinned, after: (await call("listConversations", {pinned: true})).map((c) => c.id)};
            }
        },
        {
            what: "refuses a message id used in two versions",
            compare: "shape",
            run: (call) => {
                const chat = conversation("c-6", "alice", at);
                const [question] = chat.messages;
                return call("saveConversation", {...chat, messages: [{...question!, alternatives: [[{...question!}]]}]});
            }
        },
        {what: "refuses an id with a space", compare: "shape", run: (call) => call("saveConversation", {...conversation("c-4", "alice", at), id: "c 4"})},
        {
            what: "refuses a message id with a slash",
            compare: "shape",
            run: (call) => {
                const chat = conversation("c-5", "alice", at);
                return call("saveConversation", {...chat, messages: [{...chat.messages[0]!, id: "m/1"}]});
            }
        }
    ],
    deleteConversation: [
        {
            what: "deletes a chat, then finds none to delete",
            compare: "equal",
            run: async (call) => {
                await call("saveConversation", conversation("c-gone", "alice", at));
                return [await call("deleteConversation", {id: "c-gone"}), await call("deleteConversation", {id: "c-gone"})];
            }
        },
        {what: "refuses an id with a space", compare: "shape", run: (call) => call("deleteConversation", {id: "c gone"})}
    ],
    listProfiles: [
        {what: "lists none at first", compare: "equal", run: (call) => call("listProfiles", {})},
        {
            what: "shows each profile's line of the sharing groups, as the settings change it",
            compare: "equal",
            run: async (call) => {
                await call("saveProfile", {name: "nurse1", group: "ward1"});
                const before = await call("listProfiles", {});
                await call("patchSettings", {sharing: {groups: {nurse1: "ward2"}}});
                const after = await call("listProfiles", {});
                await call("deleteProfile", {name: "nurse1"});
                return {before, after, groups: (await call("getSettings", {})).sharing.groups};
            }
        }
    ],
    saveProfile: [
        {
            what: "adds profiles and changes a group in place",
            compare: "equal",
            run: async (call) => {
                await call("saveProfile", {name: "dana", group: "ward-1"});
                await call("saveProfile", {name: "eli"});
                return call("saveProfile", {name: "dana", group: "ward-2"});
            }
        },
        {what: "keeps the profiles' groups in the sharing groups", compare: "equal", run: async (call) => (await call("getSettings", {})).sharing.groups},
        {what: "refuses a reserved name", compare: "shape", run: (call) => call("saveProfile", {name: "admin"})},
        {what: "refuses a name with a slash", compare: "shape", run: (call) => call("saveProfile", {name: "a/b"})},
        {what: "refuses an empty name", compare: "shape", run: (call) => call("saveProfile", {name: "  "})}
    ],
    deleteProfile: [
        {
            what: "deletes a profile, and one that is not there",
            compare: "equal",
            run: async (call) => [await call("deleteProfile", {name: "eli"}), await call("deleteProfile", {name: "nobody"})]
        },
        {
            what: "takes the profile's line out of the sharing groups",
            compare: "equal",
            run: async (call) => {
                const listed = await call("deleteProfile", {name: "dana"});
                return {listed, groups: (await call("getSettings", {})).sharing.groups};
            }
        }
    ],
    listModels: [{what: "lists the models", compare: "shape", run: (call) => call("listModels", {})}],
    loadModel: [
        {what: "refuses a relative path", compare: "shape", run: (call) => call("loadModel", {path: "stories.gguf"})},
        {what: "refuses a path that is not a .gguf file", compare: "shape", run: (call) => call("loadModel", {path: "/models/stories.bin"})},
        {what: "refuses a missing file", compare: "shape", run: (call) => call("loadModel", {path: "/nonexistent/none.gguf"})},
        {what: "refuses an empty path", compare: "shape", run: (call) => call("loadModel", bad({}))},
        {
            what: "loads a listed model, and refuses a second load meanwhile",
            compare: "equal",
            run: async (call) => {
                const current = (await call("listModels", {})).models.find((model) => model.current)!;
                const loading = await call("loadModel", {path: current.path});
                const again = await call("loadModel", {path: current.path}).then(() => "loaded twice", outcomeOfError);
                return {status: loading.status, modelId: loading.modelId === current.id, again};
            }
        }
    ],
    modelStatus: [{what: "reads the model slot", compare: "shape", run: (call) => call("modelStatus", {})}],
    listKeys: [{what: "lists none at first", compare: "equal", run: (call) => call("listKeys", {})}],
    createKey: [
        {what: "issues a key", compare: "shape", run: (call) => call("createKey", {name: "ward-app", group: "ward-1"})},
        {
            what: "issues a key without a group",
            compare: "equal",
            run: async (call) => {
                const {entry} = await call("createKey", {name: "lab"});
                return {name: entry.name, group: "group" in entry, listed: (await call("listKeys", {})).map((key) => key.name)};
            }
        },
        {what: "refuses a name taken, in any case", compare: "shape", run: (call) => call("createKey", {name: "WARD-app"})},
        {what: "refuses a reserved name", compare: "shape", run: (call) => call("createKey", {name: "admin"})},
        {what: "refuses a name with a space", compare: "shape", run: (call) => call("createKey", {name: "ward app"})},
        {what: "refuses an empty name", compare: "shape", run: (call) => call("createKey", {name: ""})}
    ],
    revokeKey: [
        {
            what: "revokes a key",
            compare: "equal",
            run: async (call) => {
                const {entry} = await call("createKey", {name: "temp"});
                return (await call("revokeKey", {id: entry.id})).map((key) => key.name);
            }
        },
        {what: "answers 404 for an unknown key", compare: "shape", run: (call) => call("revokeKey", {id: "nokey"})},
        {what: "refuses an id with a space", compare: "shape", run: (call) => call("revokeKey", {id: "no key"})}
    ]
} satisfies {[K in AdminOp]: Case[]} as Record<AdminOp, Case[]>;

interface Refusal {
    status: number | null;
    type: string | null;
    code: string | null;
    message: string;
}

/** A refusal as the renderer sees it; anything but an ApiError is not a refusal either side may give. */
function outcomeOfError(error: unknown): {refused: Refusal} {
    if (!(error instanceof ApiError)) throw error;
    return {refused: {status: error.status, type: error.type, code: error.code, message: error.message}};
}

type Shape = string | Shape[] | {[key: string]: Shape};

/** Keys and value types all the way down (array elements each). */
function shapeOf(value: unknown): Shape {
    if (value === null) return "null";
    if (Array.isArray(value)) return value.map(shapeOf);
    if (typeof value === "object") return Object.fromEntries(Object.entries(value as object).map(([key, inner]) => [key, shapeOf(inner)]));
    return typeof value;
}

/**
 * Where the real server's shape `a` and the fake's `b` differ: object keys must be the same; value
 * types too, except that null stands for any type (the types declare those fields nullable, and the
 * two sides hold different data); each array element is compared with the other side's first.
 */
function shapeDifferences(a: Shape, b: Shape, at = "$"): string[] {
    if (a === "null" || b === "null") return [];
    if (typeof a === "string" || typeof b === "string") return a === b ? [] : [`${at}: ${kindOf(a)} vs ${kindOf(b)}`];
    if (Array.isArray(a) || Array.isArray(b)) {
        if (!(Array.isArray(a) && Array.isArray(b))) return [`${at}: ${kindOf(a)} vs ${kindOf(b)}`];
        const [firstA, firstB] = [a[0], b[0]];
        return [
            ...(firstB == null ? [] : a.flatMap((item, i) => shapeDifferences(item, firstB, `${at}[${i}]`))),
            ...(firstA == null ? [] : b.flatMap((item, i) => shapeDifferences(firstA, item, `${at}[${i}]`)))
        ];
    }
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].flatMap((key) => {
        if (!(key in a)) return [`${at}.${key}: only in the fake`];
        if (!(key in b)) return [`${at}.${key}: only on the real server`];
        return shapeDifferences((a as Record<string, Shape>)[key]!, (b as Record<string, Shape>)[key]!, `${at}.${key}`);
    });
}

function kindOf(shape: Shape): string {
    return typeof shape === "string" ? shape : Array.isArray(shape) ? "array" : "object";
}

/** Runs a case on one side: its answer (or its shape), or how it was refused. */
async function outcome(testCase: Case, call: Call): Promise<unknown> {
    try {
        const result = await testCase.run(call);
        return testCase.compare === "shape" ? {answer: shapeOf(result)} : {answer: result};
    } catch (error) {
        return outcomeOfError(error);
    }
}

beforeAll(async () => {
    server = await startTestServer();
    backend = new HttpBackend({baseUrl: server.url, getApiKey: () => testApiKey});
    fake = new FakeAdmin();
    busy = net.createServer();
    await new Promise<void>((resolve) => busy.listen(0, "127.0.0.1", resolve));
    busyPort = (busy.address() as net.AddressInfo).port;
    // The same world on both sides: that port is taken, and the server started with the test server's flags.
    fake.busyPorts.add(busyPort);
    fake.startedWith({threads: 1, gpu: testGpuSetting});
    // On this machine's cores (the fake's own machine has 8).
    if (fake.settings.runtime != null) fake.settings.runtime = {...fake.settings.runtime, cores: os.availableParallelism()};
    // Some traffic, so the dashboard's lists (buckets, top donors, scopes) have entries to compare.
    for (const content of ["Once upon a time there was a girl named Lily.", "Once upon a time there was a girl named Mia."]) {
        const res = await server.api("/v1/chat/completions", {method: "POST", json: {messages: [{role: "user", content}], max_tokens: 4, temperature: 0}});
        expect(res.status).toBe(200);
        await server.core.requirePipeline().settled();
    }
});
afterAll(async () => {
    await new Promise((resolve) => busy?.close(resolve));
    await server?.close();
});

describe("FakeAdmin keeps the contract of the real admin API", () => {
    it("has cases for every admin operation, and the fake answers each", async () => {
        expect(Object.keys(cases).sort()).toEqual([...adminOps].sort());
        for (const op of adminOps) expect(cases[op].length, op).toBeGreaterThan(0);
        const answered = await Promise.all(
            adminOps.map((op) =>
                new FakeAdmin().run(op, {} as never).then(
                    () => true,
                    (error: unknown) => error instanceof ApiError
                )
            )
        );
        expect(answered).toEqual(adminOps.map(() => true));
    });

    for (const op of adminOps) {
        it(op, async () => {
            expect(cases[op], `no contract cases for '${op}'`).toBeDefined();
            for (const testCase of cases[op]) {
                const real = await outcome(testCase, (name, input) => backend.admin(name, input));
                const faked = await outcome(testCase, (name, input) => fake.run(name, input));
                if (testCase.compare === "shape" && "answer" in (real as object) && "answer" in (faked as object)) {
                    expect(shapeDifferences((real as {answer: Shape}).answer, (faked as {answer: Shape}).answer), `${op}: ${testCase.what}`).toEqual([]);
                } else {
                    expect(faked, `${op}: ${testCase.what}`).toEqual(real);
                }
            }
            // A model load runs on in the background on the real server: let it finish before the next operation.
            if (op === "loadModel") await waitFor("the model to be loaded again", () => server.core.status === "ok" && !server.core.switching, 60_000);
        });
    }
});
