//! The `apt_install` and `apt_remove` stanzas. Their text, spaces and joins included, is what
//! docker-pkg 4.0.4 writes, so that rendered Dockerfiles stay byte-identical.

/// How apt is set up in the stanzas: the proxy (already known to be set) and extra options.
#[derive(Debug, Clone, Default)]
pub struct AptSettings {
    pub proxy: Option<String>,
    pub options: String,
}

const CLEAN: &str = "    && apt-get clean && rm -rf /var/lib/apt/lists/* ";
const DROP_PROXY: &str = "    && rm -f /etc/apt/apt.conf.d/80_proxy \\\n";

impl AptSettings {
    /// Updates the package lists, installs `packages` (a newline-separated list is allowed)
    /// without recommends, and cleans up.
    pub fn install(&self, packages: &str) -> String {
        let packages = packages.replace('\n', " ");
        let options = &self.options;
        let mut out = String::new();
        if let Some(proxy) = &self.proxy {
            out.push_str(&set_proxy(proxy));
            out.push_str(" \\\n    && ");
        }
        out.push_str(&format!(
            "apt-get update {options} \\\n    && DEBIAN_FRONTEND=noninteractive \\\n    \
             apt-get install {options} --yes {packages} --no-install-recommends \\\n"
        ));
        if self.proxy.is_some() {
            out.push_str(DROP_PROXY);
        }
        out.push_str(CLEAN);
        out
    }

    /// Purges `packages` and cleans up.
    pub fn remove(&self, packages: &str) -> String {
        let mut out = String::new();
        if let Some(proxy) = &self.proxy {
            // 4.0.4 writes no space or newline between the line continuation and `apt-get`.
            out.push_str(&set_proxy(proxy));
            out.push_str("  && \\");
        }
        out.push_str(&format!(
            "apt-get update && DEBIAN_FRONTEND=noninteractive apt-get remove --yes --purge \
             {packages} \\\n"
        ));
        if self.proxy.is_some() {
            out.push_str(DROP_PROXY);
        }
        out.push_str(CLEAN);
        out
    }
}

fn set_proxy(proxy: &str) -> String {
    format!("echo 'Acquire::http::Proxy \"{proxy}\";' > /etc/apt/apt.conf.d/80_proxy")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(proxy: Option<&str>, options: &str) -> AptSettings {
        AptSettings {
            proxy: proxy.map(str::to_owned),
            options: options.into(),
        }
    }

    #[test]
    fn install_plain() {
        assert_eq!(
            settings(None, "").install("curl\nwget"),
            "apt-get update  \\\n    && DEBIAN_FRONTEND=noninteractive \\\n    \
             apt-get install  --yes curl wget --no-install-recommends \\\n    \
             && apt-get clean && rm -rf /var/lib/apt/lists/* "
        );
    }

    #[test]
    fn remove_with_proxy() {
        assert_eq!(
            settings(Some("http://p:3128"), "-q").remove("curl"),
            "echo 'Acquire::http::Proxy \"http://p:3128\";' > /etc/apt/apt.conf.d/80_proxy  \
             && \\apt-get update && DEBIAN_FRONTEND=noninteractive apt-get remove --yes --purge \
             curl \\\n    && rm -f /etc/apt/apt.conf.d/80_proxy \\\n    \
             && apt-get clean && rm -rf /var/lib/apt/lists/* "
        );
    }
}
