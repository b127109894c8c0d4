import {Component, type ReactNode} from "react";

/**
 * One message that cannot be drawn (a record of another version's shape, from storage or an imported file) is
 * said so in its place; the chat, and the page, go on.
 */
export class MessageBoundary extends Component<{children: ReactNode}, {failed: boolean}> {
    public override state = {failed: false};

    public static getDerivedStateFromError(): {failed: boolean} {
        return {failed: true};
    }

    public override render(): ReactNode {
        if (!this.state.failed) return this.props.children;
        return (
            <p className="message answer-error" role="note" data-testid="message-unshown">
                This message could not be shown.
            </p>
        );
    }
}
