import type {ReactNode} from "react";
import type {CachedPrompt} from "../../../shared/admin.js";
import {sharedScope} from "../../../shared/scopes.js";
import {formatBytes, formatSpan} from "../lib/format.js";
import {ConfirmButton} from "./ConfirmButton.js";
import {ScopeName, useScopeLabel} from "./ScopeName.js";

/** A prompt's first words on one line: what names it in buttons and messages (rows otherwise read the same). */
export function promptWords(text: string, words = 6, max = 40): string {
    const line = text.replace(/\s+/g, " ").trim().split(" ").slice(0, words).join(" ");
    return line.length > max ? line.slice(0, max).trimEnd() : line;
}

/** How long ago something happened, as of `now`. */
export function timeAgo(at: number, now: number): string {
    const ms = now - at;
    return ms < 1000 ? "just now" : `${formatSpan(ms)} ago`;
}

/** An issued key sends as `key/ID` (its scope is `user:key/ID`): the admin knows it by the key's name, as its scope. */
function SenderName({sender}: {sender: string}) {
    const label = useScopeLabel()(`user:${sender}`);
    if (label.id == null) return <>{sender}</>;
    return (
        <>
            {label.name}
            <span className="scope-id"> {sender}</span>
        </>
    );
}

/** A time as how long ago it was, the date itself on hover. */
function Ago({at, now}: {at: number; now: number}) {
    return (
        <time dateTime={new Date(at).toISOString()} title={new Date(at).toLocaleString()}>
            {timeAgo(at, now)}
        </time>
    );
}

function Fact({label, children}: {label: string; children: ReactNode}) {
    return (
        <div>
            <dt>{label}</dt>
            <dd>{children}</dd>
        </div>
    );
}

interface Props {
    entry: CachedPrompt;
    /** When the list was fetched. */
    now: number;
    /** A deletion is in progress. */
    busy: boolean;
    onDelete: (entry: CachedPrompt) => void;
}

/**
 * One cached prompt: its text as far as the server previews it, who and what it is, and its deletion; a marked
 * shared prefix instead says where it is removed (the server refuses to delete it).
 */
export function CachedPromptRow({entry, now, busy, onDelete}: Props) {
    const words = promptWords(entry.preview);
    const cut = entry.characters > entry.preview.length;
    const marked = entry.scope === sharedScope;
    return (
        <li className="cached-prompt" data-testid="cached-prompt" data-entry-id={entry.id}>
            <div className="cached-prompt-body">
                {/* dir="auto": a prompt in Arabic or Hebrew runs right to left (its words were shown in the wrong order). */}
                <p className="cached-prompt-text" data-testid="cached-prompt-text" dir="auto">
                    {entry.preview}
                    {cut ? (
                        <>
                            <span aria-hidden="true">…</span>
                            <span className="visually-hidden">
                                {" "}
                                (the first {entry.preview.length} of {entry.characters} characters)
                            </span>
                        </>
                    ) : null}
                </p>
                <dl className="cached-prompt-facts">
                    <Fact label="Scope">
                        <ScopeName scope={entry.scope} />
                    </Fact>
                    <Fact label="Sender">{entry.sender == null ? "—" : <SenderName sender={entry.sender} />}</Fact>
                    <Fact label="Tokens">{entry.tokens}</Fact>
                    <Fact label="Size">{formatBytes(entry.bytes)}</Fact>
                    {/* When it was cached: the list's order. */}
                    <Fact label="Cached">
                        <Ago at={entry.createdAt} now={now} />
                    </Fact>
                    <Fact label="Last used">
                        <Ago at={entry.lastUsedAt} now={now} />
                    </Fact>
                    <Fact label="Hits">{entry.hits}</Fact>
                </dl>
                {marked ? (
                    // The server keeps each marked text in every form prompts take it in, one entry each, with nothing
                    // in the listing saying which form an entry is: the token counts are what tell the rows apart.
                    <p className="muted small" data-testid="cached-prompt-shared-note">
                        A marked shared prefix, kept as a chat&apos;s system prompt and as plain text: the same text is listed once per form, with its own token
                        count. To remove it, take its text out of the Shared prefixes box in the settings (Sharing scopes) and save.
                    </p>
                ) : null}
            </div>
            <div className="cached-prompt-actions">
                {entry.currentModel ? null : (
                    <span
                        className="tag cached-prompt-other"
                        data-testid="cached-prompt-other-model"
                        title="Cached for another model: used once it is loaded again"
                    >
                        Other model<span className="visually-hidden">: used once it is loaded again</span>
                    </span>
                )}
                {marked ? null : (
                    <ConfirmButton
                        small
                        label="Delete…"
                        name={`Delete cached prompt “${words}”…`}
                        confirmLabel="Delete"
                        confirmName={`Delete cached prompt “${words}”`}
                        busy={busy}
                        testId="cached-prompt-delete"
                        onConfirm={() => onDelete(entry)}
                    />
                )}
            </div>
        </li>
    );
}
