//! Signed publishing end to end: a throw-away GPG key, a `registries.d` lookaside store in a
//! temporary folder, buildah and skopeo signing, and a consumer's `podman pull` under a
//! policy that requires the key. Sigstore as far as the skopeo of this machine goes.

use std::path::{Path, PathBuf};

use docker_pkg::label::ImageLabel;

use crate::fixture_tree::{self, fixture};
use crate::harness::{Output, Test};
use crate::support::{self, RecordingTool};

/// The images `--select '*app-1*'` publishes from the fixture tree.
const PUBLISHED: [(&str, &str); 3] = [("base-a", "1.0"), ("tool-1", "0.1"), ("app-1", "1.0")];

/// The fixture tree's set-up, and a folder for the GPG home, the signature store and the
/// homes of publisher and consumer.
struct Setup {
    tree: fixture_tree::Setup,
    dir: tempfile::TempDir,
}

impl Setup {
    fn new() -> Option<Setup> {
        if !support::tools_available(&["gpg"]) {
            return None;
        }
        Some(Setup {
            tree: fixture_tree::Setup::new()?,
            dir: tempfile::tempdir().expect("a temporary directory"),
        })
    }

    fn path(&self, relative: &str) -> PathBuf {
        self.dir.path().join(relative)
    }

    fn label(&self, name: &str, tag: &str) -> ImageLabel {
        self.tree.label(name, tag)
    }

    fn config(&self, signing: &str) -> String {
        format!("{}{signing}", self.tree.config())
    }

    /// A home whose `registries.d` says, for the test registry, `settings`.
    fn home(&self, name: &str, settings: &str) -> PathBuf {
        let home = self.path(name);
        let dir = home.join(".config/containers/registries.d");
        std::fs::create_dir_all(&dir).unwrap();
        let text = format!("docker:\n  {}:\n{settings}", self.tree.registry.address);
        std::fs::write(dir.join("test-registry.yaml"), text).unwrap();
        home
    }

    /// A throw-away GPG key without passphrase: its fingerprint and its public key file.
    fn gpg_key(&self) -> (String, PathBuf) {
        let public = self.path("signing-key.asc");
        (gpg_key(&self.path("gnupg"), &public), public)
    }

    fn gpg_env(&self) -> Vec<(String, String)> {
        let home = self.path("gnupg").display().to_string();
        vec![("GNUPGHOME".to_owned(), home)]
    }

    /// A run of docker-pkg on the fixture tree, as the publisher of `home`.
    fn publisher(&self, config: &str, home: &Path) -> Test {
        Test::new()
            .copy_dir(&fixture("images"), "images")
            .config(config)
            .envs(self.tree.storage.env())
            .envs(self.gpg_env())
            .env("HOME", &home.display().to_string())
    }

    /// `podman pull` of `label` as a consumer of `home` under `policy`.
    fn pull(&self, label: &ImageLabel, home: &Path, policy: &Path) -> Result<(), String> {
        let certs = self.path("certs");
        std::fs::create_dir_all(&certs).unwrap();
        std::fs::copy(&self.tree.registry.ca_file, certs.join("ca.crt")).unwrap();
        let creds = format!(
            "{}:{}",
            self.tree.registry.username, self.tree.registry.password
        );
        let mut env = self.tree.storage.env();
        env.push(("HOME".to_owned(), home.display().to_string()));
        let output = std::process::Command::new("podman")
            .args(["pull", "--quiet", "--signature-policy"])
            .arg(policy)
            .arg("--cert-dir")
            .arg(&certs)
            .args(["--creds", &creds, &label.to_string()])
            .envs(env)
            .output()
            .expect("podman runs");
        if output.status.success() {
            Ok(())
        } else {
            Err(String::from_utf8_lossy(&output.stderr).into_owned())
        }
    }

    /// A consumer's policy: images of the test registry need `requirement`.
    fn policy(&self, name: &str, requirement: serde_json::Value) -> PathBuf {
        let policy = serde_json::json!({
            "default": [{"type": "insecureAcceptAnything"}],
            "transports": {"docker": {self.tree.registry.address.clone(): [requirement]}}
        });
        let path = self.path(name);
        std::fs::write(&path, policy.to_string()).unwrap();
        path
    }
}

/// A throw-away GPG key without passphrase in the keyring `home` (made when missing): its
/// fingerprint, its public key written to `public`.
pub fn gpg_key(home: &Path, public: &Path) -> String {
    std::fs::create_dir_all(home).unwrap();
    let private = std::os::unix::fs::PermissionsExt::from_mode(0o700);
    std::fs::set_permissions(home, private).unwrap();
    let env = [("GNUPGHOME".to_owned(), home.display().to_string())];
    let gpg = |args: &[&str]| support::run("gpg", args, &env);
    gpg(&[
        "--batch",
        "--passphrase",
        "",
        "--quick-gen-key",
        "docker-pkg test <test@example.org>",
        "default",
        "default",
        "never",
    ]);
    let listing = gpg(&["--batch", "--with-colons", "--list-secret-keys"]);
    let fingerprint = listing
        .lines()
        .find_map(|l| l.strip_prefix("fpr:"))
        .and_then(|l| l.split(':').find(|f| !f.is_empty()))
        .expect("a fingerprint")
        .to_owned();
    std::fs::write(
        public,
        gpg(&["--batch", "--armor", "--export", &fingerprint]),
    )
    .unwrap();
    fingerprint
}

fn result_line<'o>(output: &'o Output, name: &str) -> &'o str {
    let marker = format!("/ns/{name}:");
    output
        .stdout
        .lines()
        .find(|l| l.starts_with("* ") && l.contains(&marker) && l.contains(": "))
        .unwrap_or_else(|| panic!("no result for {name}\n{output:#?}"))
}

/// The publisher writes signatures to a staging folder and names an address that serves
/// nothing as where they are read: the version's signature must still join `latest`'s
/// (read back from the folder), and the check after publishing must find both.
#[test]
fn gpg_signed_tags_pull_under_a_policy_that_requires_the_key() {
    gpg_signed_tags_pull("buildah");
}

#[test]
fn podman_signs_with_gpg_as_buildah_does() {
    gpg_signed_tags_pull("podman");
}

fn gpg_signed_tags_pull(engine: &str) {
    let Some(setup) = Setup::new() else { return };
    let (fingerprint, public_key) = setup.gpg_key();
    let store = setup.path("sigstore");
    let publisher = setup.home(
        "publisher",
        &format!(
            "    lookaside: http://127.0.0.1:9/not-served-yet\n    \
             lookaside-staging: file://{}\n",
            store.display()
        ),
    );
    let config = setup.config(&format!("sign_by: {fingerprint}\nengine: {engine}\n"));
    let output = setup
        .publisher(&config, &publisher)
        .args(["build", "--select", "*app-1*", "images"])
        .run()
        .success()
        .no_panic();
    for (name, _) in PUBLISHED {
        let line = result_line(&output, name);
        assert!(
            line.ends_with(": built, verified, published, signed"),
            "{line}"
        );
    }

    let consumer = setup.home(
        "consumer",
        &format!("    lookaside: file://{}\n", store.display()),
    );
    let requirement = serde_json::json!({
        "type": "signedBy", "keyType": "GPGKeys", "keyPath": public_key
    });
    let policy = setup.policy("policy.json", requirement);
    for (name, version) in PUBLISHED {
        for tag in [version, "latest"] {
            let label = setup.label(name, tag);
            setup
                .pull(&label, &consumer, &policy)
                .unwrap_or_else(|e| panic!("{label} does not pull: {e}"));
        }
    }
    let unsigned = setup.label("busybox", "1.0");
    let refused = setup.pull(&unsigned, &consumer, &policy).unwrap_err();
    assert!(
        refused.contains("A signature was required, but no signature exists"),
        "{refused}"
    );
}

#[test]
fn signing_the_engine_cannot_do_is_refused_before_anything_runs() {
    let Some(setup) = Setup::new() else { return };
    let config =
        setup.config("sign_by: 0123456789ABCDEF0123456789ABCDEF01234567\nengine: docker\n");
    let home = setup.home("publisher", "    lookaside: file:///nowhere\n");
    let output = setup
        .publisher(&config, &home)
        .args(["build", "images"])
        .run()
        .code(2)
        .stderr_has("cannot sign with sign_by: the docker engine cannot sign what it pushes");
    assert!(!output.stdout.contains("Step 1"), "{output:#?}");

    setup.gpg_key();
    let unknown_key = setup.config("sign_by: 0123456789ABCDEF0123456789ABCDEF01234567\n");
    let output = setup
        .publisher(&unknown_key, &home)
        .args(["build", "images"])
        .run()
        .code(2)
        .stderr_has("cannot sign with sign_by: the GPG keyring");
    assert!(!output.stdout.contains("Step 1"), "{output:#?}");

    setup
        .publisher(&setup.config(""), &home)
        .args(["build", "--check-signatures", "images"])
        .run()
        .code(2)
        .stderr_has("--check-signatures has no key to check with");
}

/// A sigstore key made as cosign makes it (`ENCRYPTED COSIGN PRIVATE KEY`: the PKCS#8 key
/// sealed with NaCl's secretbox under a scrypt key), with openssl and PyNaCl.
pub fn sigstore_key(dir: &Path, passphrase: &str) -> (PathBuf, PathBuf, PathBuf) {
    let ec = dir.join("ec.pem");
    let der = dir.join("ec.p8.der");
    let public = dir.join("sigstore.pub");
    let private = dir.join("sigstore.private");
    let passphrase_file = dir.join("passphrase");
    let path = |p: &Path| p.display().to_string();
    let genpkey = [
        "genpkey",
        "-algorithm",
        "EC",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-out",
    ];
    support::run("openssl", &[&genpkey[..], &[&path(&ec)]].concat(), &[]);
    let pkcs8 = ["pkcs8", "-topk8", "-nocrypt", "-outform", "DER", "-in"];
    support::run(
        "openssl",
        &[&pkcs8[..], &[&path(&ec), "-out", &path(&der)]].concat(),
        &[],
    );
    support::run(
        "openssl",
        &["pkey", "-pubout", "-in", &path(&ec), "-out", &path(&public)],
        &[],
    );
    std::fs::write(&passphrase_file, format!("{passphrase}\n")).unwrap();
    let script = r#"
import base64, hashlib, json, os, sys
import nacl.secret
der = open(sys.argv[1], 'rb').read()
passphrase = open(sys.argv[2], 'rb').read().split(b'\n')[0]
salt, nonce = os.urandom(32), os.urandom(24)
key = hashlib.scrypt(passphrase, salt=salt, n=32768, r=8, p=1, maxmem=64 << 20, dklen=32)
sealed = nacl.secret.SecretBox(key).encrypt(der, nonce).ciphertext
b64 = lambda b: base64.b64encode(b).decode()
body = {"kdf": {"name": "scrypt", "params": {"N": 32768, "r": 8, "p": 1}, "salt": b64(salt)},
        "cipher": {"name": "nacl/secretbox", "nonce": b64(nonce)}, "ciphertext": b64(sealed)}
pem = base64.encodebytes(json.dumps(body).encode()).decode()
sys.stdout.write("-----BEGIN ENCRYPTED COSIGN PRIVATE KEY-----\n" + pem
                 + "-----END ENCRYPTED COSIGN PRIVATE KEY-----\n")
"#;
    let key = support::run(
        PYTHON_WITH_NACL,
        &["-c", script, &path(&der), &path(&passphrase_file)],
        &[],
    );
    std::fs::write(&private, key).unwrap();
    (private, passphrase_file, public)
}

/// Debian's python, which the `python3-nacl` package serves.
pub const PYTHON_WITH_NACL: &str = "/usr/bin/python3";

/// Whether PyNaCl is installed; under `CI=true` a missing one fails the test.
pub fn nacl_available() -> bool {
    let found = std::process::Command::new(PYTHON_WITH_NACL)
        .args(["-c", "import nacl.secret"])
        .status()
        .is_ok_and(|status| status.success());
    let message = "not installed: PyNaCl (apt-get install -y python3-nacl)";
    assert!(
        found || std::env::var("CI").as_deref() != Ok("true"),
        "{message}"
    );
    if !found {
        eprintln!("skipped: {message}");
    }
    found
}

/// Debian 12's skopeo 1.9 (like its podman and buildah) is built with sigstore signing cut
/// out; there, the trial signature refuses the configuration before anything is built.
/// Where skopeo can sign with sigstore, every tag must pull under a `sigstoreSigned` policy.
/// Either way, the passphrase reaches neither a command line nor the log.
#[test]
fn sigstore_signing_signs_or_is_refused_with_skopeo_s_reason() {
    let Some(setup) = Setup::new() else { return };
    if !support::tools_available(&["openssl", PYTHON_WITH_NACL]) || !nacl_available() {
        return;
    }
    let passphrase = "correct horse battery staple";
    let (private, passphrase_file, public) = sigstore_key(setup.dir.path(), passphrase);
    let home = setup.home("publisher", "    use-sigstore-attachments: true\n");
    let real = support::run("sh", &["-c", "command -v skopeo"], &[]);
    let skopeo = RecordingTool::new("skopeo", &format!("exec '{}' \"$@\"", real.trim()));
    let tools = skopeo.path.parent().unwrap().display().to_string();
    let config = setup.config(&format!(
        "sigstore_private_key: {}\nsigstore_passphrase_file: {}\nsigstore_public_key: {}\n",
        private.display(),
        passphrase_file.display(),
        public.display()
    ));
    let output = setup
        .publisher(&config, &home)
        .env(
            "PATH",
            &format!("{tools}:{}", std::env::var("PATH").unwrap()),
        )
        .args(["build", "--select", "*app-1*", "images"])
        .run()
        .no_panic();
    let record = skopeo.record();
    assert!(record.contains("--sign-passphrase-file"), "{record}");
    assert!(!record.contains(passphrase), "{record}");
    assert!(!output.stderr.contains(passphrase) && !output.stdout.contains(passphrase));

    if output.stderr.contains("sigstore disabled") {
        let output = output.code(2).stderr_has(
            "cannot sign with sigstore_private_key: a trial signature failed: creating \
             signature: Debian-local change: sigstore disabled",
        );
        assert!(!output.stdout.contains("Step 1"), "{output:#?}");
        return;
    }
    output.success();
    let requirement = serde_json::json!({"type": "sigstoreSigned", "keyPath": public});
    let policy = setup.policy("sigstore-policy.json", requirement);
    for (name, version) in PUBLISHED {
        for tag in [version, "latest"] {
            let label = setup.label(name, tag);
            setup
                .pull(&label, &home, &policy)
                .unwrap_or_else(|e| panic!("{label} does not pull: {e}"));
        }
    }
    let refused = setup
        .pull(&setup.label("busybox", "1.0"), &home, &policy)
        .unwrap_err();
    assert!(refused.contains("A signature was required"), "{refused}");
}
