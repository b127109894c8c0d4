import {Fragment} from "react";
import type {KvShareRecord} from "../../../shared/openai.js";
import {useHitStripPreference} from "../stores/useHitStripPreference.js";
import {countLabels, donorLabels, groupRuns, hitKind, promptLabels, tokenWindow} from "../lib/hitStrip.js";

/** Tokens drawn at most per row; longer prompts show their end. */
const MAX_TOKENS = 480;
/** Tokens of the donor's unused tail (its own answer) drawn before "…". */
const MAX_TAIL = 24;

const kindText = {donor: "Shared-cache hit", prefix: "Prefix reuse", miss: "Cache miss"} as const;

function Tokens<L extends string>({pieces, labels, testId}: {pieces: string[]; labels: L[]; testId: string}) {
    const {from, to} = tokenWindow(labels, MAX_TOKENS, MAX_TAIL);
    const shown = pieces.slice(0, to);
    const hidden = pieces.length - shown.length;
    return (
        <div className="tokens" data-testid={testId} dir="auto">
            {from > 0 ? (
                <span className="tok tok-skip" title={`${from} earlier tokens not shown`}>
                    …
                </span>
            ) : null}
            {groupRuns(shown, labels, from).map((run) => (
                // Its kind in words for screen readers (the eye has its colour and line): once a run, not a token. Its
                // own direction, so that the row's dir="auto" still follows the prompt's script (a Hebrew prompt's).
                <Fragment key={run.start}>
                    <span className="visually-hidden" dir="ltr">{`[${run.label}] `}</span>
                    <span className={`tok tok-${run.label}`} title={`${run.label}: ${run.length} token${run.length === 1 ? "" : "s"}`}>
                        {run.text}
                    </span>
                </Fragment>
            ))}
            {hidden > 0 ? (
                <span className="tok tok-skip" title={`${hidden} more unused donor tokens`}>
                    {" "}
                    … +{hidden}
                </span>
            ) : null}
        </div>
    );
}

/**
 * Under an answer: the prompt's tokens coloured reused / recomputed / new, and the donor prompt whose
 * KV was reused, aligned beside it (kept / moved / replaced), with its similarity.
 */
export function HitStrip({record}: {record: KvShareRecord}) {
    const open = useHitStripPreference((s) => s.tokensOpen);
    const setOpen = useHitStripPreference((s) => s.setTokensOpen);
    const kind = hitKind(record);
    const labels = promptLabels(record);
    const counts = countLabels(labels);
    const donor = record.donor;
    const donorTokenLabels = donor ? donorLabels(record) : [];
    const donorCounts = countLabels(donorTokenLabels);
    const share = record.prompt_tokens > 0 ? record.reused_tokens / record.prompt_tokens : 0;
    return (
        // A group, not a region: every answer has one, and a landmark per answer, all of one name, would crowd the
        // page's landmarks. Not read out with the answer the chat's log announces: there to look up, not news.
        <div
            role="group"
            aria-live="off"
            className={`hit-strip hit-${kind}`}
            data-testid="hit-strip"
            data-hit={kind}
            data-mode={record.mode}
            data-donor={donor ? "yes" : "no"}
            aria-label="KV cache reuse"
        >
            <div className="hit-summary">
                <span className={`hit-badge hit-badge-${kind}`} data-testid="hit-kind">
                    {kindText[kind]}
                </span>
                <span className="hit-meter" aria-hidden="true">
                    <span style={{width: `${Math.round(share * 100)}%`}} />
                </span>
                <span data-testid="hit-reused" data-reused={record.reused_tokens}>
                    <b>{record.reused_tokens}</b> of {record.prompt_tokens} prompt tokens reused
                </span>
                {record.recomputed_tokens > 0 ? (
                    <span className="muted" data-testid="hit-recomputed" title="Kept tokens recomputed, and the policy that chose them">
                        {record.recomputed_tokens} recomputed{record.recompute_policy ? ` (${record.recompute_policy})` : ""}
                        {record.decode_recompute ? ` + ${record.decode_recompute.tokens} while decoding` : ""}
                        {record.decode_recompute?.flushed_at != null
                            ? `, at once before answer token ${record.decode_recompute.flushed_at + 1} (a near tie)`
                            : ""}
                    </span>
                ) : null}
                {donor ? (
                    <span className="hit-similarity" data-testid="hit-similarity" data-similarity={donor.similarity}>
                        similarity {donor.similarity.toFixed(3)}
                    </span>
                ) : null}
                {record.scope ? (
                    <span className="muted" title="Sharing scope of this request">
                        scope {record.scope}
                    </span>
                ) : null}
                {record.prompt_pieces ? (
                    <button type="button" className="link-button hit-toggle" onClick={() => setOpen(!open)} aria-expanded={open}>
                        {open ? "Hide tokens" : "Show tokens"}
                    </button>
                ) : null}
            </div>
            {kind !== "donor" && record.note ? (
                <div className="hit-note muted" data-testid="hit-note">
                    {record.note}
                </div>
            ) : null}
            {open && record.prompt_pieces ? (
                <div className="hit-rows">
                    <div className="hit-row">
                        <span className="hit-row-label">
                            This prompt
                            <small>
                                {counts.reused ?? 0} reused · {counts.recomputed ?? 0} recomputed · {counts.new ?? 0} new
                            </small>
                        </span>
                        <Tokens pieces={record.prompt_pieces} labels={labels} testId="hit-prompt-tokens" />
                    </div>
                    {donor && record.donor_pieces ? (
                        <div className="hit-row" data-testid="hit-donor">
                            <span className="hit-row-label">
                                Donor #{donor.id}
                                <small>
                                    {donorCounts.kept ?? 0} kept · {donorCounts.moved ?? 0} moved · {donorCounts.replaced ?? 0} replaced ·{" "}
                                    {donorCounts.unused ?? 0} unused
                                </small>
                            </span>
                            <Tokens pieces={record.donor_pieces} labels={donorTokenLabels} testId="hit-donor-tokens" />
                        </div>
                    ) : donor ? (
                        <div className="hit-row" data-testid="hit-donor">
                            <span className="hit-row-label">Donor #{donor.id}</span>
                            {donor.prompt_hidden ? (
                                <div className="hit-note muted" data-testid="hit-donor-hidden">
                                    Another person&apos;s prompt: its KV was reused, its text is not shown here (the admin sees cached prompts on the
                                    dashboard).
                                </div>
                            ) : donor.prompt !== undefined ? (
                                <div className="tokens" dir="auto">
                                    {donor.prompt}
                                </div>
                            ) : (
                                <div className="hit-note muted" data-testid="hit-donor-not-kept">
                                    Its text is shown with the answer only: a saved chat does not keep it.
                                </div>
                            )}
                        </div>
                    ) : null}
                    <div className="hit-legend" data-testid="hit-legend">
                        <span className="visually-hidden">Key:</span>
                        <span className="tok tok-reused">reused</span>
                        <span className="tok tok-recomputed">recomputed</span>
                        <span className="tok tok-new">new</span>
                        {donor ? (
                            <>
                                <span className="legend-sep" />
                                <span className="tok tok-kept">kept</span>
                                <span className="tok tok-moved">moved</span>
                                <span className="tok tok-replaced">replaced</span>
                                <span className="tok tok-unused">unused</span>
                            </>
                        ) : null}
                    </div>
                </div>
            ) : null}
        </div>
    );
}
