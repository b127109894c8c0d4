/**
 * Shown at the composer of a chat another tab of this browser is answering: a chat answers one question at a time, so this tab
 * asks, edits and switches versions in it once that answer is kept.
 */
export function AnswerInOtherTab() {
    return (
        <p className="composer-notice" role="status" data-testid="answer-in-other-tab">
            This chat is being answered in another tab. You can send, edit or switch versions here when it is done (a chat answers one question at a time).
        </p>
    );
}
