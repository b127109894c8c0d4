import {useView} from "../stores/useView.js";
import {HealthIndicator} from "./HealthIndicator.js";
import {ModelLoadProblem, ModelPicker} from "./ModelPicker.js";
import {useReturnFocus} from "./useReturnFocus.js";

interface HeaderProps {
    title: string;
    /** The chat settings toggle (only on the chat page). */
    settingsOpen?: boolean;
    onToggleSettings?: () => void;
}

export function Header({title, settingsOpen = false, onToggleSettings}: HeaderProps) {
    // Settings closed from inside (Esc, ×): the focus comes back to the toggle.
    const toggle = useReturnFocus<HTMLButtonElement>(settingsOpen);
    const sidebarOpen = useView((s) => s.sidebarOpen);
    // The drawer (narrow windows) closed with the focus in it, or nowhere (Esc, a click beside it, a page picked): the
    // focus goes back to the menu button, not to the page's top; one moved elsewhere (a chat picked: the message box) stays.
    const menu = useReturnFocus<HTMLButtonElement>(sidebarOpen, "#sidebar");
    return (
        <>
            <header className="header">
                {/* Shown in narrow windows only, where the sidebar is a drawer. */}
                <button
                    ref={menu}
                    type="button"
                    className="icon-button menu-button"
                    data-testid="menu-button"
                    aria-label="Chats and pages"
                    aria-expanded={sidebarOpen}
                    aria-controls="sidebar"
                    onClick={() => useView.getState().setSidebarOpen(true)}
                >
                    ☰
                </button>
                {/* dir="auto": a Hebrew or Arabic title runs right to left (and is cut at its end, on the left). */}
                <div className="header-title" title={title} dir="auto">
                    {title}
                </div>
                <div className="header-right">
                    <ModelPicker withProblem={false} />
                    <HealthIndicator />
                    {onToggleSettings ? (
                        <button
                            ref={toggle}
                            type="button"
                            className={`icon-button${settingsOpen ? " active" : ""}`}
                            data-testid="settings-toggle"
                            aria-expanded={settingsOpen}
                            // The panel exists only while open.
                            aria-controls={settingsOpen ? "chat-settings" : undefined}
                            onClick={onToggleSettings}
                            title="System prompt and sampling"
                            aria-label="Settings"
                        >
                            <span aria-hidden="true">⚙</span>
                            <span className="settings-label"> Settings</span>
                        </button>
                    ) : null}
                </div>
            </header>
            {/* A model's load error, in full and with what to do, on a line of its own: it never widens the header. */}
            <ModelLoadProblem />
        </>
    );
}
