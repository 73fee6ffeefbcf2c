//! The HTML report: one file with its style, script and data inside, so that it opens from a
//! CI artifact or a mail without any network. The script draws the table, the timeline (one
//! bar per step per image) and the dependency graph from the JSON report embedded in the page.

use super::model::Report;

const STYLE: &str = include_str!("report.css");
const SCRIPT: &str = include_str!("report.js");

pub fn html(report: &Report) -> String {
    let data = serde_json::to_string(report).expect("a report serializes");
    // `<` only appears inside JSON strings, where `\u003c` means the same: no `</script>`
    // can end the data early.
    let data = data.replace('<', "\\u003c");
    let title = format!("docker-pkg report: {}", report.run.directory);
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title}</title>\n<style>\n{STYLE}</style>\n</head>\n<body>\n\
         <header id=\"top\"></header>\n<main>\n\
         <section id=\"images\"><h2>Images</h2><div id=\"filters\"></div>\
         <table id=\"image-table\"></table></section>\n\
         <section id=\"timeline\"><h2>Timeline</h2><div id=\"timeline-view\"></div></section>\n\
         <section id=\"graph\"><h2>Dependency graph</h2><div id=\"graph-view\"></div></section>\n\
         </main>\n<div id=\"tooltip\" hidden></div>\n\
         <script id=\"report-data\" type=\"application/json\">{data}</script>\n\
         <script>\n{SCRIPT}</script>\n</body>\n</html>\n",
        title = escape(&title),
    )
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
