import {StrictMode} from "react";
import {createRoot} from "react-dom/client";
import {App} from "./App.js";
import {applyTheme, loadTheme} from "./lib/theme.js";
import "./styles.css";

// Before the first paint: a page picked dark does not flash light.
applyTheme(loadTheme());

const root = document.getElementById("root");
if (!root) throw new Error("index.html has no #root element");
createRoot(root).render(
    <StrictMode>
        <App />
    </StrictMode>
);
