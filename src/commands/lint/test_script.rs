//! A test script that the verify command runs as a program must be executable.

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;

use super::{Check, Finding, Severity};
use crate::config::Config;
use crate::tree::Image;

/// With the default `verify_args` (`-c "{path}/test.sh {image}"`), bash runs `test.sh` as a
/// program: without its executable bit, bash answers 126 and the image fails.
pub fn finding(config: &Config, image: &Image) -> Option<Finding> {
    let script = script_run_as_program(&config.verify_args)?;
    let path = PathBuf::from(script.replace("{path}", &image.definition.dir.display().to_string()));
    let mode = std::fs::metadata(&path).ok()?.permissions().mode();
    if mode & 0o111 != 0 {
        return None;
    }
    let message = format!(
        "the test script is not executable: {} runs it as `{script} {{image}}` through `-c`, \
         which fails with exit code 126 (permission denied) and so fails image {}; run `chmod +x \
         {}` (and commit the mode)",
        config.verify_command,
        image.name(),
        path.display()
    );
    Some(
        Finding::new(Severity::Error, Check::TestNotExecutable, message)
            .file(path)
            .image(image.name()),
    )
}

/// The file under `{path}` that a shell's `-c` argument runs as its command, if one does.
fn script_run_as_program(verify_args: &[String]) -> Option<String> {
    let after_c = verify_args
        .iter()
        .skip_while(|arg| arg.as_str() != "-c")
        .nth(1)?;
    let words = shlex::split(after_c)?;
    words
        .into_iter()
        .next()
        .filter(|word| word.contains("{path}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(args: &[&str]) -> Vec<String> {
        args.iter().map(|a| a.to_string()).collect()
    }

    #[test]
    fn only_a_script_run_as_the_command_needs_its_bit() {
        let default = args(&["-c", "{path}/test.sh {image}"]);
        assert_eq!(script_run_as_program(&default).unwrap(), "{path}/test.sh");
        assert_eq!(
            script_run_as_program(&args(&["{path}/test.sh", "{image}"])),
            None
        );
        assert_eq!(
            script_run_as_program(&args(&["-c", "bash {path}/test.sh"])),
            None
        );
    }
}
