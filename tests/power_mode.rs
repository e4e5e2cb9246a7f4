//! The Jetson power axes refused before anything runs (exit 2, one line) when
//! the machine cannot set them: no nvpmodel or jetson_clocks on PATH, no Jetson
//! sysfs, not root, a mode the board lacks. Fake tools on PATH log any call;
//! none may happen. EDGEBENCH_TEST_EUID stands in for the effective user id so
//! both answers are checked whoever runs the tests. (The sweep itself, with
//! fake tools changing a fake tree, is src/runner/power/tests.rs.)
mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::*;

/// A temp dir with `bin/` (fake tools that only log) and `root/` (a fake
/// Orin NX sysfs tree with an nvpmodel.conf).
struct Fakes {
    dir: tempfile::TempDir,
}

impl Fakes {
    fn new(tools: &[&str]) -> Fakes {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let fakes = Fakes { dir };
        std::fs::create_dir_all(fakes.bin()).unwrap();
        for tool in tools {
            let path = fakes.bin().join(tool);
            let log = fakes.log();
            std::fs::write(
                &path,
                format!("#!/bin/sh\necho \"{tool} $*\" >> '{}'\n", log.display()),
            )
            .unwrap();
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        let gpu = fakes.root().join("sys/class/devfreq/17000000.ga10b");
        let cpu = fakes.root().join("sys/devices/system/cpu/cpu0/cpufreq");
        std::fs::create_dir_all(&gpu).unwrap();
        std::fs::create_dir_all(&cpu).unwrap();
        std::fs::create_dir_all(fakes.root().join("etc")).unwrap();
        for (file, value) in [
            (gpu.join("max_freq"), "918000000"),
            (gpu.join("min_freq"), "306000000"),
            (cpu.join("scaling_max_freq"), "1984000"),
            (cpu.join("scaling_min_freq"), "729600"),
            (
                fakes.root().join("etc/nvpmodel.conf"),
                "< POWER_MODEL ID=0 NAME=MAXN >\n< POWER_MODEL ID=3 NAME=25W >\n",
            ),
        ] {
            std::fs::write(file, value).unwrap();
        }
        fakes
    }

    fn bin(&self) -> PathBuf {
        self.dir.path().join("bin")
    }

    fn root(&self) -> PathBuf {
        self.dir.path().join("root")
    }

    fn log(&self) -> PathBuf {
        self.dir.path().join("calls.log")
    }

    fn out(&self) -> PathBuf {
        self.dir.path().join("results")
    }

    /// `edgebench run` with PATH = only the fake tools.
    fn run(&self, root: &Path, euid: &str, axes: &[&str]) -> Output {
        let out = self.out();
        let mut cmd = edgebench();
        cmd.args(["run", "--model", "/nonexistent/model.gguf", "--out"])
            .arg(&out)
            .args(axes)
            .env("PATH", self.bin())
            .env("EDGEBENCH_SYSFS_ROOT", root)
            .env("EDGEBENCH_TEST_EUID", euid);
        cmd.output().unwrap()
    }

    fn assert_nothing_ran(&self) {
        assert!(
            !self.log().exists(),
            "a tool was called: {:?}",
            std::fs::read_to_string(self.log())
        );
        assert!(!self.out().exists(), "a run directory was created");
    }
}

const BOTH: [&str; 4] = ["--power-mode", "MAXN,25W", "--jetson-clocks", "on,off"];

#[test]
fn no_nvpmodel_on_path_is_not_a_jetson() {
    let fakes = Fakes::new(&["jetson_clocks"]);
    let o = fakes.run(&fakes.root(), "0", &["--power-mode", "MAXN"]);
    assert_clean_error(
        &o,
        2,
        &["power_mode: `nvpmodel` is not on PATH: not a Jetson"],
    );
    fakes.assert_nothing_ran();
}

#[test]
fn no_jetson_clocks_on_path_is_not_a_jetson() {
    let fakes = Fakes::new(&["nvpmodel"]);
    let o = fakes.run(&fakes.root(), "0", &["--jetson-clocks", "on"]);
    assert_clean_error(&o, 2, &["jetson_clocks: `jetson_clocks` is not on PATH"]);
    fakes.assert_nothing_ran();
}

#[test]
fn no_jetson_sysfs_is_not_a_jetson() {
    let fakes = Fakes::new(&["nvpmodel", "jetson_clocks"]);
    let empty = tempfile::tempdir().unwrap();
    let o = fakes.run(empty.path(), "0", &BOTH);
    assert_clean_error(
        &o,
        2,
        &["power_mode and jetson_clocks: not a Jetson: no GPU devfreq node"],
    );
    fakes.assert_nothing_ran();
}

#[test]
fn not_root_is_refused() {
    let fakes = Fakes::new(&["nvpmodel", "jetson_clocks"]);
    let o = fakes.run(&fakes.root(), "1000", &BOTH);
    assert_clean_error(&o, 2, &["needs root: run edgebench with sudo"]);
    fakes.assert_nothing_ran();
}

#[test]
fn a_mode_the_board_lacks_is_refused_with_the_ones_it_has() {
    let fakes = Fakes::new(&["nvpmodel", "jetson_clocks"]);
    let o = fakes.run(&fakes.root(), "0", &["--power-mode", "MAXN,30W"]);
    assert_clean_error(
        &o,
        2,
        &["power mode `30W` is not one of this board's: MAXN (0), 25W (3)"],
    );
    fakes.assert_nothing_ran();
}

#[test]
fn a_jetson_as_root_passes_on_to_the_candidate_check() {
    let fakes = Fakes::new(&["nvpmodel", "jetson_clocks"]);
    let o = fakes.run(&fakes.root(), "0", &BOTH);
    // Past the power checks: the missing model is the refusal now.
    assert_clean_error(&o, 2, &["/nonexistent/model.gguf"]);
    fakes.assert_nothing_ran();
}

#[test]
fn a_bad_mode_name_or_clock_value_is_a_usage_error() {
    let fakes = Fakes::new(&[]);
    let o = fakes.run(&fakes.root(), "0", &["--power-mode", "MAX N"]);
    assert_clean_error(&o, 2, &["--power-mode `MAX N`"]);
    let o = fakes.run(&fakes.root(), "0", &["--jetson-clocks", "maybe"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("`maybe` is not on or off"),
        "{}",
        stderr(&o)
    );
}
