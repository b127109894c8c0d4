/** Under an answer whose question came with fewer earlier messages than the chat holds: the server left them out. */
export function ContextNote({dropped}: {dropped: number}) {
    return (
        <p className="context-note muted small" data-testid="context-note">
            {dropped === 1 ? "1 earlier message was" : `${dropped} earlier messages were`} left out to fit the model's context.
        </p>
    );
}
