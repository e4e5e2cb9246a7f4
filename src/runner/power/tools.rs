//! Running nvpmodel and jetson_clocks: found on PATH once, run with no stdin
//! (nvpmodel asks before a reboot; no answer is no), a failure as one line.
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The program's path on PATH, if there is an executable one.
pub fn find_on_path(program: &str) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt as _;
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|p| {
            p.metadata()
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
}

/// Runs `program args`; its stdout (and stderr) on success, else why not.
pub fn run_tool(program: &Path, args: &[&str]) -> Result<String, String> {
    let shown = format!("{} {}", program.display(), args.join(" "));
    let output = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run `{shown}`: {e}"))?;
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    if output.status.success() {
        return Ok(text);
    }
    let last = text
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("");
    Err(format!(
        "`{shown}` failed ({}): {}",
        output.status,
        last.trim()
    ))
}

/// The effective user id; tests set EDGEBENCH_TEST_EUID to check both answers
/// whoever runs them (the refusal cannot be seen as root otherwise).
pub fn effective_uid() -> u32 {
    let test_override = std::env::var("EDGEBENCH_TEST_EUID").ok();
    test_override
        .and_then(|v| v.parse().ok())
        // SAFETY: geteuid has no preconditions and cannot fail.
        .unwrap_or_else(|| unsafe { libc::geteuid() })
}
