//! Files a suite names (`prompt_file`, `prompts`, `text_file`) live under
//! prompts/, as docs/suites.md says: a suite from elsewhere must not read
//! /proc/self/environ or ../../secret into a prompt that ends up in the results.
use std::path::{Component, Path, PathBuf};

/// `name` inside `dir`: relative, without `..`, and not leading out through a
/// symlink. The error says why, after the caller names suite and field.
pub fn inside(dir: &Path, name: &str) -> Result<PathBuf, String> {
    let plain = Path::new(name)
        .components()
        .all(|c| matches!(c, Component::Normal(_) | Component::CurDir));
    if name.is_empty() || !plain {
        return Err(format!(
            "{name:?} is not inside {}: give a relative path without `..`",
            dir.display()
        ));
    }
    let path = dir.join(name);
    // A missing file is left to the read, whose error names it.
    let (Ok(root), Ok(real)) = (dir.canonicalize(), path.canonicalize()) else {
        return Ok(path);
    };
    if !real.starts_with(&root) {
        return Err(format!(
            "{name:?} leads out of {} (to {}) through a symlink",
            dir.display(),
            real.display()
        ));
    }
    Ok(real)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absolute_parent_and_symlinked_paths_stay_out() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("prompts");
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        std::fs::write(dir.join("sub/a.txt"), "a").unwrap();
        std::fs::write(tmp.path().join("secret"), "s").unwrap();
        let ok = inside(&dir, "sub/a.txt").unwrap();
        assert_eq!(std::fs::read_to_string(ok).unwrap(), "a");
        assert!(
            inside(&dir, "./sub/missing.txt").is_ok(),
            "the read says it is missing"
        );
        for bad in ["/proc/self/environ", "../secret", "sub/../../secret", ""] {
            let e = inside(&dir, bad).unwrap_err();
            assert!(
                e.contains(&format!("{bad:?}")) && e.contains("inside"),
                "{e}"
            );
        }
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(tmp.path().join("secret"), dir.join("out")).unwrap();
            std::os::unix::fs::symlink("sub/a.txt", dir.join("in")).unwrap();
            let e = inside(&dir, "out").unwrap_err();
            assert!(e.contains("\"out\"") && e.contains("symlink"), "{e}");
            assert!(
                inside(&dir, "in").is_ok(),
                "a symlink within prompts/ is fine"
            );
        }
    }
}
