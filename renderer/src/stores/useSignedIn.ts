import {create} from "zustand";
import type {SignedIn} from "../../../shared/admin.js";
import {getBackend} from "../backend/current.js";
import {errorMessage, isUnauthorized} from "../backend/errors.js";
import {APP_USER, asksWhoami} from "../backend/whoami.js";
import {useConnection} from "./useConnection.js";

interface SignedInState {
    /**
     * Who the key signs in as (GET /kvshare/whoami); null until the server has said (or after the key changed).
     * Nothing of the app's own API is asked for meanwhile: an issued key would only be refused there (403).
     */
    signedIn: SignedIn | null;
    /** Asks the server (the Electron window is the app's own user without asking); resolves to the answer, null where none came. */
    load: () => Promise<SignedIn | null>;
    /** {@link load}, unless an ask for this key is on its way (a slow server is not asked again and again). */
    ask: () => Promise<SignedIn | null>;
}

/** Answers to a key that is no longer the one in use are not taken: each ask, and each key change, moves this on. */
let asked = 0;

/** The ask on its way, and the key it was made with. */
let pending: {key: string | null; answer: Promise<SignedIn | null>} | undefined;

export const useSignedIn = create<SignedInState>()((set, get) => ({
    signedIn: null,
    ask: () => {
        const key = useConnection.getState().apiKey;
        if (pending?.key === key) return pending.answer;
        const answer = get()
            .load()
            .finally(() => {
                if (pending?.answer === answer) pending = undefined;
            });
        pending = {key, answer};
        return answer;
    },
    load: async () => {
        const backend = getBackend();
        if (!asksWhoami(backend)) {
            set({signedIn: APP_USER});
            return APP_USER;
        }
        const request = ++asked;
        try {
            const signedIn = await backend.whoami();
            if (request !== asked) return null;
            set({signedIn});
            return signedIn;
        } catch (error) {
            if (request === asked && isUnauthorized(error)) useConnection.getState().requireKey(errorMessage(error));
            return null;
        }
    }
}));

/**
 * The page may offer what the app's own key may do (the other chats' profiles, the dashboard, the settings, the
 * model picker): true once the server said the key is the app's. An issued key (a student's) gets the chat alone.
 */
export function selectMayAdmin(state: Pick<SignedInState, "signedIn">): boolean {
    return state.signedIn?.app === true;
}

/** The chat alone: the key is an issued one, whose chats are kept in this browser only. */
export function selectChatOnly(state: Pick<SignedInState, "signedIn">): boolean {
    return state.signedIn !== null && !state.signedIn.app;
}

/** Whether this page keeps its chats in the server's database too (only the app's own key may). */
export function keepsChatsOnServer(): boolean {
    return selectMayAdmin(useSignedIn.getState());
}

/**
 * Who the key is, once the server has said (at once where it has); null where the key changes first. A chat's save
 * waits for it: the app's key saves it at once (an answer that comes while the chat list loads is saved before the
 * list lands), an issued key never does.
 */
export function signedInKnown(): Promise<SignedIn | null> {
    const known = useSignedIn.getState().signedIn;
    if (known !== null) return Promise.resolve(known);
    const key = useConnection.getState().apiKey;
    return new Promise((resolve) => {
        const done = (signedIn: SignedIn | null): void => {
            stopSignedIn();
            stopKey();
            resolve(signedIn);
        };
        const stopSignedIn = useSignedIn.subscribe((state) => {
            if (state.signedIn !== null) done(state.signedIn);
        });
        const stopKey = useConnection.subscribe((state) => {
            if (state.apiKey !== key) done(null);
        });
    });
}

/** Moves on with each new key and each sign-out: what was read or saved for the one before is not taken in. */
let identity = 0;

/** The current identity's number: an answer that comes back under another was asked for someone else. */
export function identityEpoch(): number {
    return identity;
}

/** This page no longer acts for whoever it acted for (signed out, or another key taken): answers on their way are dropped. */
export function forgetIdentity(): void {
    identity++;
}

// Another key, another person: who it is is asked again (nothing is offered on the word of the key before).
useConnection.subscribe((state, previous) => {
    if (state.apiKey === previous.apiKey) return;
    asked++;
    identity++;
    if (useSignedIn.getState().signedIn !== null) useSignedIn.setState({signedIn: null});
});
