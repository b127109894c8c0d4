import type {AdminInput, AdminOp, AdminOutput} from "../../../shared/admin.js";
import {FakeAdmin} from "./fakeAdmin.js";
import type {ChatStreamEvent, ChatStreamRequest, KvshareBridge, MenuCommand} from "../../../shared/backend.js";
import type {HealthResponse, ModelObject} from "../../../shared/openai.js";
import {health, models} from "./fakes.js";

/** A stand-in for what preload/index.ts exposes: records calls and lets the test emit events. */
export class FakeBridge implements KvshareBridge {
    started: Array<{streamId: string; request: ChatStreamRequest}> = [];
    aborted: string[] = [];
    startError: Error | null = null;
    private listeners = new Set<(event: ChatStreamEvent) => void>();
    readonly adminFake = new FakeAdmin();

    admin<K extends AdminOp>(op: K, input: AdminInput<K>): Promise<AdminOutput<K>> {
        return this.adminFake.run(op, input);
    }

    async health(): Promise<HealthResponse> {
        return health;
    }

    async listModels(): Promise<ModelObject[]> {
        return models;
    }

    async startChat(streamId: string, request: ChatStreamRequest): Promise<void> {
        if (this.startError) throw this.startError;
        this.started.push({streamId, request});
    }

    async abortChat(streamId: string): Promise<void> {
        this.aborted.push(streamId);
    }

    onChatEvent(listener: (event: ChatStreamEvent) => void): () => void {
        this.listeners.add(listener);
        return () => this.listeners.delete(listener);
    }

    private menuListeners = new Set<(command: MenuCommand) => void>();

    onMenuCommand(listener: (command: MenuCommand) => void): () => void {
        this.menuListeners.add(listener);
        return () => this.menuListeners.delete(listener);
    }

    emitMenu(command: MenuCommand): void {
        for (const l of this.menuListeners) l(command);
    }

    get menuListenerCount(): number {
        return this.menuListeners.size;
    }

    emit(event: ChatStreamEvent): void {
        for (const l of this.listeners) l(event);
    }

    get listenerCount(): number {
        return this.listeners.size;
    }

    get lastStreamId(): string {
        const last = this.started.at(-1);
        if (!last) throw new Error("no stream started");
        return last.streamId;
    }
}
