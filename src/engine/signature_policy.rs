//! The `policy.json` of the copies that sign and check: images of the registry are accepted
//! only with a signature by the signing key (for the tag they are copied from), while the
//! local images being pushed and the trial image of the signing check pass as they are.

use std::path::{Path, PathBuf};

use serde_json::json;

use crate::engine::signing::Signing;
use crate::engine::tool::Tool;
use crate::engine::{EngineError, signing_error};
use crate::process::find_program;

/// Writes `dir/policy.json` requiring, for the images of `registry`, a signature made with
/// the key of `signing`: the sigstore public key, or the GPG key exported from the keyring
/// (by `gpg`, with the environment of `tool`) to `dir/signing-key.asc`.
pub fn write_policy(
    dir: &Path,
    registry: &str,
    signing: &Signing,
    tool: &Tool,
) -> Result<PathBuf, EngineError> {
    let requirement = match signing {
        Signing::Gpg { fingerprint } => {
            let key_file = dir.join("signing-key.asc");
            export_gpg_key(fingerprint, &key_file, tool)?;
            json!({"type": "signedBy", "keyType": "GPGKeys", "keyPath": key_file})
        }
        Signing::Sigstore { public_key, .. } => {
            let public_key = std::path::absolute(public_key).unwrap_or(public_key.clone());
            json!({"type": "sigstoreSigned", "keyPath": public_key})
        }
    };
    let accept = json!([{"type": "insecureAcceptAnything"}]);
    let policy = json!({
        "default": [{"type": "reject"}],
        "transports": {
            "docker": {registry: [requirement]},
            "containers-storage": {"": accept},
            "dir": {"": accept},
        }
    });
    let path = dir.join("policy.json");
    std::fs::write(&path, policy.to_string()).map_err(|source| EngineError::Setup {
        what: path.display().to_string(),
        source,
    })?;
    Ok(path)
}

/// Writes `dir/unsigned-policy.json`, which accepts every image: for the copy that gives a
/// manifest list pushed unsigned (with a key the engine's own push cannot sign with) its
/// first signatures, whose source has none yet.
pub fn write_accepting_policy(dir: &Path) -> Result<PathBuf, EngineError> {
    let policy = json!({"default": [{"type": "insecureAcceptAnything"}]});
    let path = dir.join("unsigned-policy.json");
    std::fs::write(&path, policy.to_string()).map_err(|source| EngineError::Setup {
        what: path.display().to_string(),
        source,
    })?;
    Ok(path)
}

/// `gpg --armor --export FINGERPRINT` into `target`.
fn export_gpg_key(fingerprint: &str, target: &Path, tool: &Tool) -> Result<(), EngineError> {
    let gpg = find_program(Path::new("gpg")).ok_or_else(|| {
        signing_error(
            "sign_by",
            "gpg is not installed (install the `gnupg` package)",
        )
    })?;
    let args = ["--batch", "--armor", "--export", fingerprint].map(str::to_owned);
    let home = tool
        .env_var("GNUPGHOME")
        .unwrap_or_else(|| "~/.gnupg".to_owned());
    let missing = |why: String| {
        signing_error(
            "sign_by",
            &format!("the GPG keyring ({home}) has no key {fingerprint}{why}"),
        )
    };
    let exported = tool
        .sibling(gpg)
        .run(&args)
        .map_err(|e| missing(format!(": {}", e.last_words())))?;
    if exported.trim().is_empty() {
        return Err(missing(String::new()));
    }
    std::fs::write(target, exported).map_err(|source| EngineError::Setup {
        what: target.display().to_string(),
        source,
    })
}
