import {useMemo} from "react";
import {renderMarkdown} from "../lib/markdown.js";

export function Markdown({text}: {text: string}) {
    const html = useMemo(() => renderMarkdown(text), [text]);
    return <div className="markdown" dangerouslySetInnerHTML={{__html: html}} />;
}
