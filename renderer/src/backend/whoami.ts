import type {SignedIn} from "../../../shared/admin.js";
import type {Backend} from "../../../shared/backend.js";

/** The server's route that tells any key who it signs in as (main/server/handlers/whoami.ts). */
export const WHOAMI_PATH = "/kvshare/whoami";

/** The app's own user: what the Electron window always is (its bridge needs no key). */
export const APP_USER: SignedIn = {app: true, name: "admin", group: null, keyRequired: false};

/** A backend that can ask the server who its key signs in as (HTTP); the Electron bridge has no key to ask about. */
export type WhoamiBackend = Backend & {whoami(): Promise<SignedIn>};

export function asksWhoami(backend: Backend): backend is WhoamiBackend {
    return typeof (backend as Partial<WhoamiBackend>).whoami === "function";
}
