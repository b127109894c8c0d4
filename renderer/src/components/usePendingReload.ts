import {useEffect} from "react";
import {create} from "zustand";
import type {AdminSettings} from "../../../shared/admin.js";
import {useAdminSettings} from "../stores/useAdminSettings.js";
import {useModels} from "../stores/useModels.js";
import {runtimePending} from "../lib/runtimeForm.js";

/** The value of each setting in `restartRequired` (dotted name → its value as JSON). */
type ReloadValues = Record<string, string>;

function valueAt(settings: AdminSettings, dotted: string): unknown {
    return dotted.split(".").reduce<unknown>((at, key) => (at != null && typeof at === "object" ? (at as Record<string, unknown>)[key] : undefined), settings);
}

/** The server says which runtime values the model serving now was loaded with (`runtime.loaded`): not remembered here. */
const reportedByServer = (name: string): boolean => name.startsWith("runtime.");

function reloadValues(settings: AdminSettings): ReloadValues {
    return Object.fromEntries(
        settings.restartRequired.filter((name) => !reportedByServer(name)).map((name) => [name, JSON.stringify(valueAt(settings, name)) ?? ""])
    );
}

/**
 * The values the loaded model runs with, of the settings the server saves at once but the model takes up
 * only when it is loaded again (`restartRequired`, e.g. the embedder). For those the server does not say
 * which value the model runs with, this window remembers it: the values it first saw, then those a model
 * load it watched started with. Null before any settings were seen.
 */
const useLoadedWith = create<{values: ReloadValues | null}>()(() => ({values: null}));
/** The values when the model load in progress started (a load reads the settings as it begins). */
let loadStartedWith: ReloadValues | null = null;

useModels.subscribe(({status}, previous) => {
    const settings = useAdminSettings.getState().settings;
    const was = previous.status?.status;
    if (status?.status === "loading" && was !== "loading") loadStartedWith = settings == null ? null : reloadValues(settings);
    else if (status?.status === "ok" && was === "loading" && loadStartedWith != null) useLoadedWith.setState({values: loadStartedWith});
    if (status?.status !== "loading") loadStartedWith = null;
});
// Settings forgotten (the store reset): what was remembered went with them.
useAdminSettings.subscribe(({settings}) => {
    if (settings == null) useLoadedWith.setState({values: null});
});

/** The settings saved but not in effect yet (dotted names): they wait for the model's next load. */
export function usePendingReload(settings: AdminSettings): string[] {
    const loaded = useLoadedWith((s) => s.values);
    useEffect(() => {
        if (useLoadedWith.getState().values == null) useLoadedWith.setState({values: reloadValues(settings)});
    }, [settings]);
    const runtime = settings.runtime == null ? [] : runtimePending(settings.runtime).map((name) => `runtime.${name}`);
    if (loaded == null) return runtime;
    const saved = reloadValues(settings);
    return [...Object.keys(saved).filter((name) => name in loaded && loaded[name] !== saved[name]), ...runtime];
}
