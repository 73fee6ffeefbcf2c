//! The version of an automatic update: `X` becomes `X-s1`, `X-sN` becomes `X-s(N+1)`, where
//! `s` is the configured `update_id`.

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot bump version `{version}`: its update number is too large")]
pub struct BumpError {
    version: String,
}

/// The next update version after `version`. Any version is bumped by the same rule (4.0.4
/// bumps only versions made of digits, dots and dashes).
pub fn bump(version: &str, update_id: &str) -> Result<String, BumpError> {
    let marker = format!("-{update_id}");
    if let Some((base, number)) = version.rsplit_once(&marker)
        && !number.is_empty()
        && number.bytes().all(|b| b.is_ascii_digit())
    {
        let next = number
            .parse::<u64>()
            .ok()
            .and_then(|n| n.checked_add(1))
            .ok_or_else(|| BumpError {
                version: version.to_owned(),
            })?;
        return Ok(format!("{base}{marker}{next}"));
    }
    Ok(format!("{version}{marker}1"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_update() {
        assert_eq!(bump("1.0", "s").unwrap(), "1.0-s1");
        assert_eq!(bump("1.0-2", "s").unwrap(), "1.0-2-s1");
        assert_eq!(
            bump("0.1.9-u1-20260816", "s").unwrap(),
            "0.1.9-u1-20260816-s1"
        );
    }

    #[test]
    fn next_update() {
        assert_eq!(bump("1.0-s1", "s").unwrap(), "1.0-s2");
        assert_eq!(bump("1.0-2-s9", "s").unwrap(), "1.0-2-s10");
        assert_eq!(bump("2.0-wmf3", "wmf").unwrap(), "2.0-wmf4");
    }

    #[test]
    fn marker_must_end_the_version() {
        assert_eq!(bump("1.0-s1a", "s").unwrap(), "1.0-s1a-s1");
        assert_eq!(bump("1.0-s", "s").unwrap(), "1.0-s-s1");
    }

    #[test]
    fn without_an_update_id() {
        assert_eq!(bump("1.0-2", "").unwrap(), "1.0-3");
        assert_eq!(bump("1.0", "").unwrap(), "1.0-1");
    }

    #[test]
    fn overflow() {
        assert!(bump("1.0-s18446744073709551615", "s").is_err());
    }
}
