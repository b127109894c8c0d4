import {StrictMode} from "react";
import {createRoot} from "react-dom/client";
import {App} from "./App.js";
import {announcer} from "./lib/announce.js";
import {applyTheme, loadTheme} from "./lib/theme.js";
import "./styles.css";

// Before the first paint: a page picked dark does not flash light.
applyTheme(loadTheme());
// The status region screen readers are told things through (a copy), there before the first thing is said.
announcer();

const root = document.getElementById("root");
if (!root) throw new Error("index.html has no #root element");
createRoot(root).render(
    <StrictMode>
        <App />
    </StrictMode>
);
