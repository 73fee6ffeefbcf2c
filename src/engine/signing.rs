//! How pushed images are signed, as the configuration says: with a GPG key (simple signing,
//! the signatures stored where the containers tools' `registries.d` says) or with a sigstore
//! key (the signatures attached to the image in its registry).

use std::path::PathBuf;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Signing {
    /// `sign_by`: the fingerprint of a secret key of the GPG keyring (`$GNUPGHOME`).
    Gpg { fingerprint: String },
    /// `sigstore_private_key`, the file holding its passphrase, and `sigstore_public_key`,
    /// which checks the signatures made.
    Sigstore {
        private_key: PathBuf,
        passphrase_file: PathBuf,
        public_key: PathBuf,
    },
}

impl Signing {
    /// How the configuration names this way of signing, for messages.
    pub fn key_name(&self) -> &'static str {
        match self {
            Signing::Gpg { .. } => "sign_by",
            Signing::Sigstore { .. } => "sigstore_private_key",
        }
    }
}
