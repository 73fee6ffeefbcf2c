//! Registry credentials, and a value that never prints.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// A value that must never be printed: `Debug` shows stars.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"***\"")
    }
}

/// Registry credentials from the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    pub username: String,
    pub password: Secret,
}

impl Credentials {
    /// `base64(username:password)`: the `auth` of an auth file and the value of HTTP basic
    /// authentication alike.
    pub fn basic_token(&self) -> String {
        STANDARD.encode(format!("{}:{}", self.username, self.password.expose()))
    }

    /// What must not show in anything printed: the password, plainly and as it stands in an
    /// auth file or an HTTP header.
    pub fn sensitive(&self) -> [String; 2] {
        [self.password.expose().to_owned(), self.basic_token()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_do_not_print() {
        assert_eq!(format!("{:?}", Secret::new("hunter2")), "\"***\"");
    }

    #[test]
    fn basic_tokens() {
        let credentials = Credentials {
            username: "u".into(),
            password: Secret::new("p"),
        };
        assert_eq!(credentials.basic_token(), "dTpw");
    }
}
