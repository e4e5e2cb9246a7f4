//! Running nvpmodel and jetson_clocks: at L4T's paths (never looked up on
//! PATH: edgebench runs them as root) or in the directory `--power-tools`
//! names, run with no stdin (nvpmodel asks before a reboot; no answer is no),
//! a failure as one line.
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub use crate::sampler::L4T_NVPMODEL;

/// Where L4T installs jetson_clocks.
pub const L4T_JETSON_CLOCKS: &str = "/usr/bin/jetson_clocks";

/// The two programs the power axes run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolPaths {
    pub nvpmodel: PathBuf,
    pub jetson_clocks: PathBuf,
}

impl ToolPaths {
    /// L4T's paths, or both programs in `dir` (`--power-tools DIR`).
    pub fn new(dir: Option<&Path>) -> ToolPaths {
        match dir {
            Some(dir) => ToolPaths {
                nvpmodel: dir.join("nvpmodel"),
                jetson_clocks: dir.join("jetson_clocks"),
            },
            None => ToolPaths {
                nvpmodel: PathBuf::from(L4T_NVPMODEL),
                jetson_clocks: PathBuf::from(L4T_JETSON_CLOCKS),
            },
        }
    }
}

/// Whether `path` is an executable file.
pub fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt as _;
    path.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
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

/// The effective user id.
pub fn effective_uid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}
