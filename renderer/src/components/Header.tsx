import {useView} from "../stores/useView.js";
import {HealthIndicator} from "./HealthIndicator.js";
import {ModelPicker} from "./ModelPicker.js";
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
    return (
        <header className="header">
            {/* Shown in narrow windows only, where the sidebar is a drawer. */}
            <button
                type="button"
                className="icon-button menu-button"
                data-testid="menu-button"
                aria-label="Chats and pages"
                onClick={() => useView.getState().setSidebarOpen(true)}
            >
                ☰
            </button>
            <div className="header-title" title={title}>
                {title}
            </div>
            <div className="header-right">
                <ModelPicker />
                <HealthIndicator />
                {onToggleSettings ? (
                    <button
                        ref={toggle}
                        type="button"
                        className={`icon-button${settingsOpen ? " active" : ""}`}
                        data-testid="settings-toggle"
                        aria-pressed={settingsOpen}
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
    );
}
