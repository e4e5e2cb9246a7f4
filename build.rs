//! Records how this binary was built, so every manifest.json can say which
//! build produced its numbers (flags change llama.cpp speed by 20% or more).
use std::process::Command;

fn main() {
    let git = |args: &[&str]| {
        Command::new("git")
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .unwrap_or_default()
    };
    let commit = git(&["rev-parse", "--short=12", "HEAD"]);
    let dirty = !git(&["status", "--porcelain", "--untracked-files=no"]).is_empty();
    let commit = match (commit.is_empty(), dirty) {
        (true, _) => "unknown".to_string(),
        (false, true) => format!("{commit}-dirty"),
        (false, false) => commit,
    };
    let rustflags = std::env::var("CARGO_ENCODED_RUSTFLAGS")
        .unwrap_or_default()
        .replace('\u{1f}', " ");
    let profile = std::env::var("PROFILE").unwrap_or_default();
    let target = std::env::var("TARGET").unwrap_or_default();
    let features: Vec<String> = std::env::vars()
        .filter_map(|(k, _)| k.strip_prefix("CARGO_FEATURE_").map(|f| f.to_lowercase()))
        .collect();
    println!("cargo:rustc-env=EDGEBENCH_GIT_COMMIT={commit}");
    println!("cargo:rustc-env=EDGEBENCH_RUSTFLAGS={rustflags}");
    println!("cargo:rustc-env=EDGEBENCH_PROFILE={profile}");
    println!("cargo:rustc-env=EDGEBENCH_TARGET={target}");
    println!("cargo:rustc-env=EDGEBENCH_FEATURES={}", features.join(","));
    println!("cargo:rerun-if-changed=.git/HEAD");
    println!("cargo:rerun-if-changed=.git/index");
    println!("cargo:rerun-if-env-changed=CARGO_ENCODED_RUSTFLAGS");
}
