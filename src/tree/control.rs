//! Debian control files: the images an image depends on, from `Depends:` and
//! `Build-Depends:` of every paragraph.

/// Why a control file could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct ControlError {
    pub line: usize,
    pub message: String,
}

/// The names listed in `Depends:` and `Build-Depends:`, in file order, without duplicates.
/// A version constraint (`foo (>= 1.0)`) is dropped: images depend on names.
pub fn dependencies(text: &str) -> Result<Vec<String>, ControlError> {
    let mut names: Vec<String> = Vec::new();
    for field in fields(text)? {
        let key = field.key.to_ascii_lowercase();
        if key != "depends" && key != "build-depends" {
            continue;
        }
        for item in field.value.split(',') {
            let name = item.split('(').next().unwrap_or_default().trim();
            if !name.is_empty() && !names.iter().any(|n| n == name) {
                names.push(name.to_owned());
            }
        }
    }
    Ok(names)
}

struct Field<'a> {
    key: &'a str,
    value: String,
}

/// Splits deb822 text into fields; continuation lines (starting with a space or a tab) join
/// the field above them, comment lines (`#`) are dropped.
fn fields(text: &str) -> Result<Vec<Field<'_>>, ControlError> {
    let mut fields: Vec<Field> = Vec::new();
    let mut in_paragraph = false;
    for (index, line) in text.lines().enumerate() {
        if line.starts_with('#') {
            continue;
        }
        if line.trim().is_empty() {
            in_paragraph = false;
            continue;
        }
        if line.starts_with([' ', '\t']) {
            match fields.last_mut().filter(|_| in_paragraph) {
                Some(field) => {
                    field.value.push('\n');
                    field.value.push_str(line.trim());
                }
                None => return Err(error(index, "a continuation line with no field above it")),
            }
            continue;
        }
        let Some((key, value)) = line.split_once(':').filter(|(key, _)| is_field_name(key)) else {
            return Err(error(
                index,
                &format!("expected `Field: value`, found `{line}`"),
            ));
        };
        in_paragraph = true;
        fields.push(Field {
            key,
            value: value.trim().to_owned(),
        });
    }
    Ok(fields)
}

fn is_field_name(key: &str) -> bool {
    !key.is_empty() && !key.starts_with('-') && key.chars().all(|c| c.is_ascii_graphic())
}

fn error(index: usize, message: &str) -> ControlError {
    ControlError {
        line: index + 1,
        message: message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_fields_across_paragraphs() {
        let text = "Source: foo\nBuild-Depends: base\n\nPackage: foo\nDepends: python3, tools\n";
        assert_eq!(dependencies(text).unwrap(), ["base", "python3", "tools"]);
    }

    #[test]
    fn continuation_lines_and_comments() {
        let text = "# deps\nDepends: a,\n b ,\n\tc,\n  d\nRecommends: e\n";
        assert_eq!(dependencies(text).unwrap(), ["a", "b", "c", "d"]);
    }

    #[test]
    fn field_names_ignore_case_and_constraints_are_dropped() {
        let text = "depends: a (>= 1.0), a, b\n";
        assert_eq!(dependencies(text).unwrap(), ["a", "b"]);
    }

    #[test]
    fn no_dependencies() {
        assert!(dependencies("").unwrap().is_empty());
        assert!(dependencies("Package: foo\n").unwrap().is_empty());
    }

    #[test]
    fn malformed() {
        let err = dependencies("Package: foo\nthis is not a field\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "line 2: expected `Field: value`, found `this is not a field`"
        );
        let err = dependencies(" a, b\n").unwrap_err();
        assert_eq!(err.line, 1);
    }
}
