import {create} from "zustand";
import type {StateStorage} from "zustand/middleware";
import {errorMessage} from "../backend/errors.js";

/**
 * Whether this browser keeps its copy of the chats (what a reload mid-answer, or a server not reached yet,
 * relies on). A store of its own: a persisted store reporting its own failed write would write again.
 */
export const useLocalCopy = create<{error: string | null}>()(() => ({error: null}));

function report(error: string | null): void {
    if (useLocalCopy.getState().error !== error) useLocalCopy.setState({error});
}

/**
 * This browser's storage for the persisted stores, never throwing: when it is full (a huge chat) or
 * refused, the app keeps working from memory and the server, and says that the local copy is not kept;
 * the next write that fits clears that.
 */
export const guardedLocalStorage: StateStorage = {
    getItem: (name) => {
        try {
            return localStorage.getItem(name);
        } catch {
            return null;
        }
    },
    setItem: (name, value) => {
        try {
            localStorage.setItem(name, value);
            report(null);
        } catch (error) {
            report(errorMessage(error));
        }
    },
    removeItem: (name) => {
        try {
            localStorage.removeItem(name);
        } catch {
            // nothing kept to remove
        }
    }
};
