import {selectModelName, useConnection} from "../stores/useConnection.js";
import {useView} from "../stores/useView.js";
import {HealthIndicator} from "./HealthIndicator.js";
import {ModelPicker} from "./ModelPicker.js";

interface HeaderProps {
    title: string;
    /** The chat settings toggle (only on the chat page). */
    settingsOpen?: boolean;
    onToggleSettings?: () => void;
}

export function Header({title, settingsOpen, onToggleSettings}: HeaderProps) {
    const model = useConnection(selectModelName);
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
                <span className="model-name" data-testid="model-name" title="Model served by this KVShare instance">
                    {model ?? "No model"}
                </span>
                <HealthIndicator />
                {onToggleSettings ? (
                    <button
                        type="button"
                        className={`icon-button${settingsOpen ? " active" : ""}`}
                        data-testid="settings-toggle"
                        aria-pressed={settingsOpen ?? false}
                        onClick={onToggleSettings}
                        title="System prompt and sampling"
                    >
                        Settings
                    </button>
                ) : null}
            </div>
        </header>
    );
}
