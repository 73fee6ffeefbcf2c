//! The image a rendered Dockerfile builds on: the `FROM` of its last stage, which is the image
//! that is kept. A stage built `FROM` an earlier stage's name is followed back to that stage's
//! own `FROM`; `$VAR` and `${VAR}` in it are the defaults of the `ARG`s declared before the
//! first `FROM`, as the engines read them. Images that only earlier stages or `COPY --from`
//! use are not the base.

use std::collections::HashMap;

/// One `FROM IMAGE [AS NAME]`.
struct Stage {
    image: String,
    name: Option<String>,
}

/// The reference the last stage of `dockerfile` is built on, as `NAME:TAG` (`:latest` when
/// it names no tag, as the engines read it; a digest stays). `None` for `scratch`, for no
/// `FROM` at all, or for a variable without a default.
pub fn base_image(dockerfile: &str) -> Option<String> {
    let mut args: HashMap<String, String> = HashMap::new();
    let mut stages: Vec<Stage> = Vec::new();
    for instruction in instructions(dockerfile) {
        let mut words = instruction.split_whitespace();
        let keyword = words.next().unwrap_or_default().to_ascii_uppercase();
        let rest: Vec<&str> = words.collect();
        match keyword.as_str() {
            "ARG" if stages.is_empty() => {
                for declaration in rest {
                    let (name, default) = declaration.split_once('=').unwrap_or((declaration, ""));
                    args.insert(name.to_owned(), unquote(default).to_owned());
                }
            }
            "FROM" => stages.push(stage(&rest)?),
            _ => {}
        }
    }
    let mut image = substitute(&stages.last()?.image, &args)?;
    // An earlier stage named as a base: its own base is the image's (each hop goes back, so
    // this ends).
    let mut before = stages.len() - 1;
    while let Some(index) = stages[..before].iter().rposition(|s| {
        s.name
            .as_deref()
            .is_some_and(|n| n.eq_ignore_ascii_case(&image))
    }) {
        image = substitute(&stages[index].image, &args)?;
        before = index;
    }
    if image.eq_ignore_ascii_case("scratch") {
        return None;
    }
    Some(with_tag(image))
}

/// `FROM [--platform=…] IMAGE [AS NAME]`.
fn stage(words: &[&str]) -> Option<Stage> {
    let mut words = words.iter().copied().filter(|w| !w.starts_with("--"));
    let image = words.next()?.to_owned();
    let name = match (words.next(), words.next()) {
        (Some(as_), Some(name)) if as_.eq_ignore_ascii_case("as") => Some(name.to_owned()),
        _ => None,
    };
    Some(Stage { image, name })
}

/// The instructions of `dockerfile`: comment lines dropped, continued lines joined, with the
/// escape character of an `# escape=` directive.
fn instructions(dockerfile: &str) -> Vec<String> {
    let escape = escape_character(dockerfile);
    let mut instructions = Vec::new();
    let mut current = String::new();
    for line in dockerfile.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with('#') {
            continue;
        }
        match line.trim_end().strip_suffix(escape) {
            Some(continued) => {
                current.push_str(continued);
                current.push(' ');
            }
            None => {
                current.push_str(line);
                instructions.push(std::mem::take(&mut current));
            }
        }
    }
    if !current.trim().is_empty() {
        instructions.push(current);
    }
    instructions
}

/// The character a leading `# escape=` parser directive chooses; `\` otherwise.
fn escape_character(dockerfile: &str) -> char {
    for line in dockerfile.lines() {
        let Some(directive) = line.trim().strip_prefix('#') else {
            break;
        };
        let Some((key, value)) = directive.split_once('=') else {
            break;
        };
        if key.trim().eq_ignore_ascii_case("escape") && value.trim() == "`" {
            return '`';
        }
    }
    '\\'
}

/// `text` with `$NAME`, `${NAME}` and `${NAME:-DEFAULT}` replaced; `None` when a variable
/// has no value.
fn substitute(text: &str, args: &HashMap<String, String>) -> Option<String> {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let (expression, tail) = match after.strip_prefix('{') {
            Some(braced) => {
                let end = braced.find('}')?;
                (&braced[..end], &braced[end + 1..])
            }
            None => {
                let end = after
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(after.len());
                (&after[..end], &after[end..])
            }
        };
        let (name, default) = match expression.split_once(":-") {
            Some((name, default)) => (name, Some(default)),
            None => (expression, None),
        };
        let value = args
            .get(name)
            .filter(|v| !v.is_empty())
            .map(String::as_str)
            .or(default)?;
        out.push_str(value);
        rest = tail;
    }
    out.push_str(rest);
    Some(out)
}

fn unquote(text: &str) -> &str {
    for quote in ['"', '\''] {
        if let Some(inner) = text.strip_prefix(quote).and_then(|t| t.strip_suffix(quote)) {
            return inner;
        }
    }
    text
}

/// `image` with `:latest` when it names neither a tag nor a digest.
fn with_tag(image: String) -> String {
    let last = image.rsplit('/').next().unwrap_or(&image);
    if last.contains(':') || last.contains('@') {
        image
    } else {
        format!("{image}:latest")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_stage() {
        assert_eq!(
            base_image("FROM 127.0.0.1:5000/ns/base:1.0-1\nRUN true\n").as_deref(),
            Some("127.0.0.1:5000/ns/base:1.0-1")
        );
        assert_eq!(
            base_image("from debian\n").as_deref(),
            Some("debian:latest")
        );
        assert_eq!(
            base_image("FROM --platform=linux/amd64 r.org:5000/a@sha256:ab AS x\n").as_deref(),
            Some("r.org:5000/a@sha256:ab")
        );
        assert_eq!(base_image("FROM scratch\nCOPY a /\n"), None);
        assert_eq!(base_image("RUN true\n"), None);
    }

    #[test]
    fn the_last_stage_counts_followed_through_stage_names() {
        let dockerfile = "\
# syntax comment
FROM r.org/golang:1.22 AS build
RUN make
FROM r.org/debian:12 AS runtime
FROM runtime AS final
COPY --from=build /app /app
";
        assert_eq!(base_image(dockerfile).as_deref(), Some("r.org/debian:12"));
        let copied_only = "FROM r.org/tools:1 AS tools\nFROM r.org/base:2\nCOPY --from=tools / /\n";
        assert_eq!(base_image(copied_only).as_deref(), Some("r.org/base:2"));
    }

    #[test]
    fn arguments_and_continued_lines() {
        let dockerfile = "\
ARG BASE=r.org/base VERSION=\"1.0\"
FROM \\
  ${BASE}:$VERSION
";
        assert_eq!(base_image(dockerfile).as_deref(), Some("r.org/base:1.0"));
        assert_eq!(
            base_image("ARG V\nFROM r.org/b:${V:-2}\n").as_deref(),
            Some("r.org/b:2")
        );
        assert_eq!(base_image("FROM r.org/b:$UNSET\n"), None);
        let backtick = "# escape=`\nFROM `\n  r.org/b:3\n";
        assert_eq!(base_image(backtick).as_deref(), Some("r.org/b:3"));
    }
}
