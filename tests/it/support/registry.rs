//! The CNCF distribution registry on a free loopback port, with a certificate of its own
//! (signed by nobody the system trusts) and htpasswd logins.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use docker_pkg::label::ImageLabel;
use docker_pkg::registry::credentials::{Credentials, Secret};
use docker_pkg::registry::{Registry, RegistrySettings};
use tempfile::TempDir;

use super::run;

const USERNAME: &str = "tester";
const STARTUP: Duration = Duration::from_secs(15);

/// A running registry; stopped, and its files removed, when dropped.
pub struct TestRegistry {
    /// `127.0.0.1:PORT`.
    pub address: String,
    /// The certificate the registry serves, to trust as `ca_bundle`.
    pub ca_file: PathBuf,
    pub username: String,
    pub password: String,
    child: Child,
    dir: TempDir,
}

impl TestRegistry {
    /// Starts a registry and waits until it answers.
    pub fn start() -> TestRegistry {
        let dir = tempfile::Builder::new()
            .prefix("docker-pkg-test-registry-")
            .tempdir()
            .expect("a temporary directory");
        let password = format!("pw-{}-{}", std::process::id(), dir_suffix(dir.path()));
        write_certificate(dir.path());
        let htpasswd = run("htpasswd", &["-Bbn", "-C", "4", USERNAME, &password], &[]);
        std::fs::write(dir.path().join("htpasswd"), htpasswd).expect("htpasswd written");
        for _ in 0..5 {
            let address = format!("127.0.0.1:{}", free_port());
            let config = write_config(dir.path(), &address);
            let mut child = Command::new("docker-registry")
                .arg("serve")
                .arg(&config)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(log_file(dir.path()))
                .spawn()
                .expect("docker-registry starts");
            if wait_until_listening(&mut child, &address) {
                return TestRegistry {
                    address,
                    ca_file: dir.path().join("cert.pem"),
                    username: USERNAME.to_owned(),
                    password,
                    child,
                    dir,
                };
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        let log = std::fs::read_to_string(dir.path().join("registry.log")).unwrap_or_default();
        panic!("the registry did not start: {log}");
    }

    /// Registry settings with this registry's login and certificate.
    pub fn settings(&self) -> RegistrySettings {
        RegistrySettings {
            registry: Some(self.address.clone()),
            credentials: Some(self.credentials()),
            ca_bundle: Some(self.ca_file.clone()),
            ..RegistrySettings::default()
        }
    }

    pub fn credentials(&self) -> Credentials {
        Credentials {
            username: self.username.clone(),
            password: Secret::new(self.password.clone()),
        }
    }

    /// The key of [`TestRegistry::ca_file`], for a server standing in for the registry.
    pub fn key_file(&self) -> PathBuf {
        self.dir.path().join("key.pem")
    }

    /// The platforms of the list `label` names here, sorted; none when it is absent.
    pub fn listed(&self, label: &ImageLabel) -> Vec<String> {
        let client = Registry::new(&self.settings()).expect("a client of the test registry");
        let mut answers = client.list_platforms(std::slice::from_ref(label));
        let mut platforms = answers.remove(0).unwrap().unwrap_or_default();
        platforms.sort();
        platforms
    }

    /// What the registry printed so far, to explain a failure.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("registry.log")).unwrap_or_default()
    }
}

impl Drop for TestRegistry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn dir_suffix(dir: &Path) -> String {
    let name = dir.file_name().map(|n| n.to_string_lossy().into_owned());
    name.unwrap_or_default()
        .rsplit('-')
        .next()
        .unwrap_or("")
        .to_owned()
}

/// A self-signed certificate for `127.0.0.1`, as `cert.pem` and `key.pem`.
fn write_certificate(dir: &Path) {
    let cert = dir.join("cert.pem").display().to_string();
    let key = dir.join("key.pem").display().to_string();
    let args = [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-keyout",
        &key,
        "-out",
        &cert,
        "-days",
        "2",
        "-subj",
        "/CN=127.0.0.1",
        "-addext",
        "subjectAltName=IP:127.0.0.1",
    ];
    run("openssl", &args, &[]);
}

fn write_config(dir: &Path, address: &str) -> PathBuf {
    let root = dir.display();
    let config = format!(
        "version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: {root}/data
  delete:
    enabled: true
http:
  addr: {address}
  secret: test-secret
  tls:
    certificate: {root}/cert.pem
    key: {root}/key.pem
auth:
  htpasswd:
    realm: test-registry
    path: {root}/htpasswd
"
    );
    let path = dir.join("config.yml");
    std::fs::write(&path, config).expect("registry config written");
    path
}

fn log_file(dir: &Path) -> std::fs::File {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("registry.log"))
        .expect("registry log opened")
}

/// A port nobody listens on now; another process may take it before the registry does, in
/// which case the registry exits and another port is tried.
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    listener.local_addr().expect("its address").port()
}

fn wait_until_listening(child: &mut Child, address: &str) -> bool {
    let deadline = Instant::now() + STARTUP;
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return false;
        }
        if TcpStream::connect(address).is_ok() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}
