//! HTML escaping as markupsafe does it (`&#34;` and `&#39;` for the quotes).

use super::error::Error;
use super::python;
use super::value::Value;

/// The text of `value`, escaped unless it is already `Markup`.
pub fn escape(value: &Value) -> Result<String, Error> {
    match value {
        Value::Markup(s) => Ok(s.to_string()),
        other => Ok(escape_str(&python::str(other)?)),
    }
}

pub fn escape_str(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markupsafe_entities() {
        assert_eq!(
            escape_str("<b>\"x\" & 'y'</b>"),
            "&lt;b&gt;&#34;x&#34; &amp; &#39;y&#39;&lt;/b&gt;"
        );
        assert_eq!(escape(&Value::Markup("<b>".into())).unwrap(), "<b>");
    }
}
