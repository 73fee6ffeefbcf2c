//! Where a program is: one rule for every tool the run starts.

use std::path::{Path, PathBuf};

/// `program` itself when it names a path (it holds a `/`) to an executable file, else the
/// first executable of that name on `PATH`.
pub fn find_program(program: &Path) -> Option<PathBuf> {
    if program.components().count() > 1 || program.to_string_lossy().contains('/') {
        return is_executable(program).then(|| program.to_owned());
    }
    which::which(program).ok()
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_paths() {
        let sh = find_program(Path::new("sh")).unwrap();
        assert!(sh.is_absolute(), "{sh:?}");
        assert_eq!(find_program(&sh), Some(sh.clone()));
        assert_eq!(find_program(Path::new("/nonexistent/sh")), None);
        assert_eq!(find_program(Path::new("no-such-program-here")), None);
    }
}
