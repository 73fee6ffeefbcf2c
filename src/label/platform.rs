//! Platforms (`linux/arm64`): what `platforms:`, `--platform` and an image's `platforms` file
//! name, which platforms each image is built for, and whether this machine can run them.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// Where the kernel lists the interpreters of foreign executables.
pub const BINFMT_DIR: &str = "/proc/sys/fs/binfmt_misc";

/// The architectures images are built for, as OCI names them (Go's `GOARCH`), with the
/// machine name the kernel and QEMU give them (`uname -m`, `qemu-NAME`).
const ARCHITECTURES: &[(&str, &str)] = &[
    ("amd64", "x86_64"),
    ("386", "i386"),
    ("arm64", "aarch64"),
    ("arm64be", "aarch64_be"),
    ("arm", "arm"),
    ("armbe", "armeb"),
    ("ppc64le", "ppc64le"),
    ("ppc64", "ppc64"),
    ("s390x", "s390x"),
    ("riscv64", "riscv64"),
    ("mips64le", "mips64el"),
    ("mips64", "mips64"),
    ("mipsle", "mipsel"),
    ("mips", "mips"),
    ("loong64", "loongarch64"),
];

/// One platform: `linux/ARCH`, or `linux/ARCH/VARIANT` (`linux/arm/v7`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Platform {
    architecture: &'static str,
    variant: Option<String>,
}

impl Platform {
    /// The platform this tool runs on; images for it need no emulation.
    pub fn host() -> Platform {
        let machine = match std::env::consts::ARCH {
            "x86" => "i386",
            "powerpc64" if cfg!(target_endian = "little") => "ppc64le",
            other => other,
        };
        let architecture = ARCHITECTURES
            .iter()
            .find(|(_, m)| *m == machine)
            .map_or("amd64", |(arch, _)| arch);
        Platform {
            architecture,
            variant: None,
        }
    }

    /// The OCI architecture: `arm64`.
    pub fn architecture(&self) -> &str {
        self.architecture
    }

    pub fn variant(&self) -> Option<&str> {
        self.variant.as_deref()
    }

    /// What `uname -m` says on this platform, and the name of its QEMU interpreter.
    pub fn machine(&self) -> &'static str {
        ARCHITECTURES
            .iter()
            .find(|(arch, _)| *arch == self.architecture)
            .map_or(self.architecture, |(_, machine)| machine)
    }

    /// Whether this machine runs the platform's programs without an emulator.
    pub fn is_native(&self) -> bool {
        self.architecture == Platform::host().architecture
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "linux/{}", self.architecture)?;
        if let Some(variant) = &self.variant {
            write!(f, "/{variant}")?;
        }
        Ok(())
    }
}

impl FromStr for Platform {
    type Err = String;

    fn from_str(text: &str) -> Result<Platform, String> {
        let words = text
            .trim()
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'/');
        let parts: Vec<&str> = text.trim().split('/').collect();
        let (os, architecture, variant) = match parts[..] {
            [os, arch] if words => (os, arch, None),
            [os, arch, variant] if words => (os, arch, Some(variant)),
            _ => {
                return Err(format!(
                    "`{text}` is not a platform: OS/ARCHITECTURE, such as linux/arm64"
                ));
            }
        };
        if os != "linux" {
            return Err(format!("`{text}`: only linux images are built"));
        }
        let Some(&(architecture, _)) = ARCHITECTURES.iter().find(|(a, _)| *a == architecture)
        else {
            let known: Vec<&str> = ARCHITECTURES.iter().map(|(arch, _)| *arch).collect();
            return Err(format!(
                "`{text}`: unknown architecture `{architecture}` (known: {})",
                known.join(", ")
            ));
        };
        let variant = match variant {
            None => None,
            Some(v) if !v.is_empty() && v.bytes().all(|b| b.is_ascii_alphanumeric()) => {
                Some(v.to_owned())
            }
            Some(v) => return Err(format!("`{text}`: `{v}` is not a platform variant")),
        };
        Ok(Platform {
            architecture,
            variant,
        })
    }
}

/// Parses a list of platforms: no platform twice, at least one.
pub fn parse_list<'a>(texts: impl IntoIterator<Item = &'a str>) -> Result<Vec<Platform>, String> {
    let mut platforms: Vec<Platform> = Vec::new();
    for text in texts {
        let platform: Platform = text.parse()?;
        if platforms.contains(&platform) {
            return Err(format!("{platform} is listed twice"));
        }
        platforms.push(platform);
    }
    if platforms.is_empty() {
        return Err("must name at least one platform, such as linux/amd64".to_owned());
    }
    Ok(platforms)
}

/// The name of the file that narrows the platforms of one image: the platforms it exists on,
/// one a line (`#` starts a comment).
pub const PLATFORMS_FILE: &str = "platforms";

/// The platforms a `platforms` file lists.
pub fn parse_file(text: &str) -> Result<Vec<Platform>, String> {
    parse_list(
        text.lines()
            .map(|line| line.split('#').next().unwrap_or("").trim())
            .filter(|line| !line.is_empty()),
    )
}

#[derive(Debug, thiserror::Error)]
pub enum PlatformError {
    #[error(
        "{image} is built for none of the platforms of this run ({configured}): its {} \
         file, or the images it is built on, leave none",
        PLATFORMS_FILE
    )]
    NoPlatform { image: String, configured: String },
    #[error(
        "cannot build for {platform} on this machine: {problem}. Install QEMU's interpreters \
         (`apt-get install qemu-user-static binfmt-support`) with binfmt_misc mounted (`mount \
         binfmt_misc -t binfmt_misc {BINFMT_DIR}`), or leave {platform} out of `platforms`"
    )]
    NoEmulator { platform: Platform, problem: String },
    #[error(
        "the docker engine cannot build for several platforms here: with `platforms` set, use \
         engine buildah or podman"
    )]
    Docker,
}

/// Checks, before anything is built, that this machine can run every foreign platform:
/// the kernel has an enabled interpreter for it in `binfmt_dir`.
pub fn preflight<'a>(
    platforms: impl IntoIterator<Item = &'a Platform>,
    binfmt_dir: &Path,
) -> Result<(), PlatformError> {
    for platform in platforms.into_iter().filter(|p| !p.is_native()) {
        if let Err(problem) = emulator(platform, binfmt_dir) {
            return Err(PlatformError::NoEmulator {
                platform: platform.clone(),
                problem,
            });
        }
    }
    Ok(())
}

/// Whether the kernel hands the platform's executables to an enabled interpreter.
fn emulator(platform: &Platform, binfmt_dir: &Path) -> Result<(), String> {
    if !binfmt_dir.join("register").exists() {
        return Err(format!(
            "binfmt_misc is not mounted on {}",
            binfmt_dir.display()
        ));
    }
    let entry: PathBuf = binfmt_dir.join(format!("qemu-{}", platform.machine()));
    match std::fs::read_to_string(&entry) {
        Ok(text) if text.lines().next() == Some("enabled") => Ok(()),
        Ok(_) => Err(format!("{} is disabled", entry.display())),
        Err(_) => Err(format!(
            "no emulator is registered for it ({} is missing)",
            entry.display()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platforms_read_as_oci_names_them() {
        let arm: Platform = "linux/arm/v7".parse().unwrap();
        assert_eq!(arm.to_string(), "linux/arm/v7");
        assert_eq!(arm.machine(), "arm");
        let arm64: Platform = " linux/arm64".parse().unwrap();
        assert_eq!(arm64.machine(), "aarch64");
        assert!("windows/amd64".parse::<Platform>().is_err());
        assert!("linux/vax".parse::<Platform>().unwrap_err().contains("vax"));
        assert!("arm64".parse::<Platform>().is_err());
        assert!("linux/arm64 linux/amd64".parse::<Platform>().is_err());
    }

    #[test]
    fn a_list_names_each_platform_once() {
        assert!(parse_list(["linux/amd64", "linux/arm64"]).is_ok());
        let twice = parse_list(["linux/amd64", "linux/amd64"]).unwrap_err();
        assert!(twice.contains("twice"), "{twice}");
        assert!(parse_list([]).is_err());
    }

    #[test]
    fn a_platforms_file_has_comments() {
        let text = "# only these\nlinux/amd64\n\nlinux/arm64  # emulated\n";
        let platforms = parse_file(text).unwrap();
        assert_eq!(platforms.len(), 2);
        assert_eq!(platforms[1].to_string(), "linux/arm64");
    }

    #[test]
    fn preflight_names_the_platform_and_the_fix() {
        let dir = tempfile::tempdir().unwrap();
        let foreign: Platform = if Platform::host().architecture() == "arm64" {
            "linux/amd64".parse().unwrap()
        } else {
            "linux/arm64".parse().unwrap()
        };
        let unmounted = preflight([&foreign], dir.path()).unwrap_err().to_string();
        assert!(
            unmounted.contains("binfmt_misc is not mounted"),
            "{unmounted}"
        );
        std::fs::write(dir.path().join("register"), "").unwrap();
        let missing = preflight([&foreign], dir.path()).unwrap_err().to_string();
        assert!(missing.contains(&foreign.to_string()), "{missing}");
        assert!(missing.contains("qemu-user-static"), "{missing}");
        let entry = dir.path().join(format!("qemu-{}", foreign.machine()));
        std::fs::write(&entry, "disabled\ninterpreter /x\n").unwrap();
        assert!(preflight([&foreign], dir.path()).is_err());
        std::fs::write(&entry, "enabled\ninterpreter /x\n").unwrap();
        assert!(preflight([&foreign, &Platform::host()], dir.path()).is_ok());
        assert!(preflight([&Platform::host()], Path::new("/nonexistent")).is_ok());
    }
}
