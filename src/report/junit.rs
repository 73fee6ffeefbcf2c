//! The verification results as JUnit XML, as GitLab and Jenkins read it: one test case per
//! verified image (its test's output in `system-out`, the failure and the test's last lines
//! in `failure`), and a skipped case for an image whose test file does not exist.

use std::fmt::Write;

use super::model::{ImageReport, Report, StepReport, TestReport};

pub fn junit(report: &Report) -> String {
    let cases: Vec<Case<'_>> = report.images.iter().flat_map(Case::of_image).collect();
    let failures = cases.iter().filter(|case| !case.passed).count();
    let skipped = cases.iter().filter(|case| case.skipped.is_some()).count();
    let time: f64 = cases.iter().map(|case| case.seconds).sum();
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
        test_case(&mut xml, &case);
    }
    xml.push_str("  </testsuite>\n</testsuites>\n");
    xml
}

/// One verification: of an image, or of one platform of an image built as a manifest list.
struct Case<'a> {
    /// The image's label, followed by ` [linux/arm64]` for a platform's test.
    name: String,
    image: &'a ImageReport,
    passed: bool,
    /// Why it is skipped: there was no test to run.
    skipped: Option<String>,
    seconds: f64,
    output: Option<&'a str>,
}

impl<'a> Case<'a> {
    /// The verifications of `image`: one per platform it was tested on when it is built as
    /// a manifest list, else one when it was verified at all.
    fn of_image(image: &'a ImageReport) -> Vec<Case<'a>> {
        if !image.steps.iter().any(|step| step.step == "verify") {
            return Vec::new();
        }
        if image.platforms.is_empty() {
            return vec![Case::new(
                image.label.clone(),
                image,
                &image.steps,
                image.test.as_ref(),
            )];
        }
        image
            .platforms
            .iter()
            .filter(|platform| platform.steps.iter().any(|step| step.step == "verify"))
            .map(|platform| {
                let name = format!("{} [{}]", image.label, platform.platform);
                Case::new(name, image, &platform.steps, platform.test.as_ref())
            })
            .collect()
    }

    fn new(
        name: String,
        image: &'a ImageReport,
        steps: &[StepReport],
        test: Option<&'a TestReport>,
    ) -> Case<'a> {
        let verify = || steps.iter().filter(|step| step.step == "verify");
        let millis: u64 = verify().map(|step| step.duration_ms).sum();
        Case {
            name,
            image,
            passed: verify().any(|step| step.succeeded),
            skipped: test.filter(|t| !t.ran).map(|t| {
                let missing = t.missing.as_deref().unwrap_or("test file");
                format!("no test: {missing} does not exist")
            }),
            seconds: millis as f64 / 1000.0,
            output: test.and_then(|t| t.output.as_deref()),
        }
    }
}

fn test_case(xml: &mut String, case: &Case<'_>) {
    let image = case.image;
    let _ = write!(
        xml,
        "    <testcase name=\"{}\" classname=\"docker-pkg.{}\" file=\"{}\" time=\"{:.3}\">",
        escape(&case.name),
        escape(&image.name),
        escape(&image.directory),
        case.seconds
    );
    if let Some(message) = &case.skipped {
        let _ = write!(xml, "\n      <skipped message=\"{}\"/>", escape(message));
    } else if !case.passed {
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
    if let Some(output) = case.output.filter(|o| !o.is_empty()) {
        let _ = write!(xml, "\n      <system-out>{}</system-out>", escape(output));
    }
    xml.push_str("\n    </testcase>\n");
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

    fn step(step: &str, duration_ms: u64, succeeded: bool) -> serde_json::Value {
        serde_json::json!({
            "step": step, "started": "2026-12-07T08:00:00.000Z", "offset_ms": 0,
            "duration_ms": duration_ms, "succeeded": succeeded,
        })
    }

    fn test(output: &str) -> serde_json::Value {
        serde_json::json!({"ran": true, "passed": true, "output": output})
    }

    /// A report of the image `app`, whose fields `fields` sets beyond the plain ones.
    fn report(fields: serde_json::Value) -> Report {
        let mut image = serde_json::json!({
            "name": "app", "label": "r.org/app:1.0", "directory": "images/app",
            "dependencies": [], "undeclared_dependencies": [], "base_images": [],
            "planned": ["build", "verify"], "plan_reason": "missing", "plan_reason_text": "",
            "pulled_for": [],
        });
        for (key, value) in fields.as_object().unwrap() {
            image[key] = value.clone();
        }
        let mut report = crate::report::merge::merge(&[], &[], std::time::SystemTime::UNIX_EPOCH);
        report.images = vec![serde_json::from_value(image).unwrap()];
        report
    }

    #[test]
    fn an_image_of_one_platform_is_one_case() {
        let xml = junit(&report(serde_json::json!({
            "steps": [step("build", 1000, true), step("verify", 1500, true)],
            "test": test("ok\n"),
        })));
        assert!(xml.contains("tests=\"1\" failures=\"0\""), "{xml}");
        assert!(
            xml.contains("<testcase name=\"r.org/app:1.0\" classname=\"docker-pkg.app\" file=\"images/app\" time=\"1.500\">\n      <system-out>ok\n</system-out>"),
            "{xml}"
        );
    }

    #[test]
    fn a_list_is_one_case_per_platform_tested() {
        let platform = |name: &str, passed: bool, output: &str| {
            serde_json::json!({
                "platform": name,
                "steps": [step("build", 900, true), step("verify", 700, passed)],
                "test": test(output),
            })
        };
        let xml = junit(&report(serde_json::json!({
            "steps": [step("build", 1800, true), step("verify", 1400, false)],
            "test": test("[linux/amd64] ok\n[linux/arm64] wrong machine\n"),
            "failure": {"step": "verify", "kind": "test", "message": "test failed",
                        "detail": "test failed", "output": "wrong machine"},
            "platforms": [
                platform("linux/amd64", true, "ok\n"),
                platform("linux/arm64", false, "wrong machine\n"),
                {"platform": "linux/s390x", "steps": [step("build", 900, true)]},
            ],
        })));
        assert!(
            xml.contains("tests=\"2\" failures=\"1\" errors=\"0\" skipped=\"0\" time=\"1.400\""),
            "{xml}"
        );
        assert!(
            xml.contains("<testcase name=\"r.org/app:1.0 [linux/amd64]\" classname=\"docker-pkg.app\" file=\"images/app\" time=\"0.700\">\n      <system-out>ok\n</system-out>"),
            "{xml}"
        );
        assert!(
            xml.contains("<testcase name=\"r.org/app:1.0 [linux/arm64]\" classname=\"docker-pkg.app\" file=\"images/app\" time=\"0.700\">\n      <failure message=\"test failed\" type=\"test\">wrong machine</failure>\n      <system-out>wrong machine\n</system-out>"),
            "{xml}"
        );
        assert!(
            !xml.contains("s390x"),
            "a platform not tested has no case: {xml}"
        );
    }

    #[test]
    fn escapes_what_xml_refuses() {
        assert_eq!(
            escape("a<b & \"c\"\u{1b}[31m"),
            "a&lt;b &amp; &quot;c&quot;[31m"
        );
    }
}
