//! The verification results as JUnit XML, as GitLab and Jenkins read it: one test case per
//! verified image (its test's output in `system-out`, the failure and the test's last lines
//! in `failure`), and a skipped case for an image whose test file does not exist.

use std::fmt::Write;

use super::model::{ImageReport, Report};

pub fn junit(report: &Report) -> String {
    let cases: Vec<&ImageReport> = report
        .images
        .iter()
        .filter(|image| image.steps.iter().any(|step| step.step == "verify"))
        .collect();
    let failures = cases.iter().filter(|case| !passed(case)).count();
    let skipped = cases.iter().filter(|case| has_no_test(case)).count();
    let time: f64 = cases.iter().map(|case| verify_seconds(case)).sum();
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let counts = format!(
        "tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\" time=\"{time:.3}\"",
        cases.len()
    );
    let _ = writeln!(xml, "<testsuites name=\"docker-pkg\" {counts}>");
    let _ = writeln!(
        xml,
        "  <testsuite name=\"docker-pkg verify\" {counts} timestamp=\"{}\">",
        escape(&report.run.started)
    );
    for case in cases {
        test_case(&mut xml, case);
    }
    xml.push_str("  </testsuite>\n</testsuites>\n");
    xml
}

fn test_case(xml: &mut String, image: &ImageReport) {
    let _ = write!(
        xml,
        "    <testcase name=\"{}\" classname=\"docker-pkg.{}\" file=\"{}\" time=\"{:.3}\">",
        escape(&image.label),
        escape(&image.name),
        escape(&image.directory),
        verify_seconds(image)
    );
    if has_no_test(image) {
        let missing = image.test.as_ref().and_then(|t| t.missing.as_deref());
        let message = format!("no test: {} does not exist", missing.unwrap_or("test file"));
        let _ = write!(xml, "\n      <skipped message=\"{}\"/>", escape(&message));
    } else if !passed(image) {
        let failure = image.failure.as_ref();
        let message = failure.map_or("verification failed", |f| f.message.as_str());
        let output = failure.and_then(|f| f.output.as_deref()).unwrap_or("");
        let _ = write!(
            xml,
            "\n      <failure message=\"{}\" type=\"{}\">{}</failure>",
            escape(message),
            failure.map_or("test", |f| f.kind.as_str()),
            escape(output)
        );
    }
    let output = image.test.as_ref().and_then(|t| t.output.as_deref());
    if let Some(output) = output.filter(|o| !o.is_empty()) {
        let _ = write!(xml, "\n      <system-out>{}</system-out>", escape(output));
    }
    xml.push_str("\n    </testcase>\n");
}

fn passed(image: &ImageReport) -> bool {
    image
        .steps
        .iter()
        .any(|step| step.step == "verify" && step.succeeded)
}

fn has_no_test(image: &ImageReport) -> bool {
    image.test.as_ref().is_some_and(|test| !test.ran)
}

fn verify_seconds(image: &ImageReport) -> f64 {
    let millis: u64 = image
        .steps
        .iter()
        .filter(|step| step.step == "verify")
        .map(|step| step.duration_ms)
        .sum();
    millis as f64 / 1000.0
}

/// `text` as XML character data or attribute value: the five entities escaped, and the
/// characters XML 1.0 refuses (terminal escape codes, say) dropped.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_what_xml_refuses() {
        assert_eq!(
            escape("a<b & \"c\"\u{1b}[31m"),
            "a&lt;b &amp; &quot;c&quot;[31m"
        );
    }
}
