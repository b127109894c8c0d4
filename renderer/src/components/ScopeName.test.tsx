import {act, cleanup, render, screen} from "@testing-library/react";
import {afterEach, describe, expect, it} from "vitest";
import type {ApiKeyInfo} from "../../../shared/admin.js";
import {useApiKeys} from "../stores/useApiKeys.js";
import {scopeLabel, ScopeSelect, scopeText} from "./ScopeName.js";

const reception: ApiKeyInfo = {id: "5cba5e37dedb", name: "reception-app", hint: "kvs-aaaa", createdAt: "2025-01-01T00:00:00.000Z"};

describe("scope names", () => {
    afterEach(() => {
        cleanup();
        useApiKeys.setState(useApiKeys.getInitialState(), true);
    });

    it("names a listed key's scope by the key, a revoked key's as such, and other scopes as they are", () => {
        expect(scopeText(scopeLabel("user:key/5cba5e37dedb", [reception]))).toBe("reception-app (API key) · user:key/5cba5e37dedb");
        expect(scopeText(scopeLabel("user:key/8fc8041f0a4e", [reception]))).toBe("a revoked key (8fc8…) · user:key/8fc8041f0a4e");
        expect(scopeText(scopeLabel("user:key/8fc8041f0a4e", []))).toBe("a revoked key (8fc8…) · user:key/8fc8041f0a4e");
        expect(scopeText(scopeLabel("group:ward-3", [reception]))).toBe("group:ward-3");
        // The list not known yet: no key is called revoked.
        expect(scopeLabel("user:key/8fc8041f0a4e", null)).toEqual({name: "user:key/8fc8041f0a4e", id: null});
    });

    it("calls no key revoked before the list of keys has been loaded", () => {
        const options = () => [...(screen.getByTestId("scope") as HTMLSelectElement).options].map((o) => o.textContent);
        render(<ScopeSelect scopes={["user:key/8fc8041f0a4e"]} value={null} onChange={() => {}} label="Scope" testId="scope" />);
        expect(options()).toEqual(["All scopes", "user:key/8fc8041f0a4e"]);
        // Loaded, the key is not among them.
        act(() => useApiKeys.setState({keys: [reception]}));
        expect(options()).toEqual(["All scopes", "a revoked key (8fc8…) · user:key/8fc8041f0a4e"]);
    });
});
