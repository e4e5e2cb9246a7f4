//! The Jetson power axes refused before anything runs (exit 2, one line) when
//! the machine cannot set them: no nvpmodel or jetson_clocks where they are
//! looked for (L4T's paths, or `--power-tools DIR`; never PATH), no Jetson
//! sysfs, a bad mode name. Fake tools log any call; none may happen. Root and
//! the board's modes are checked by src/runner/power/tests.rs, which chooses
//! the effective user id (the sweep itself, with fake tools changing a fake
//! tree, is there too).
mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

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

    /// `edgebench run` with the fake tools in `--power-tools`.
    fn run(&self, root: &Path, axes: &[&str]) -> Output {
        self.command(root, axes)
            .arg("--power-tools")
            .arg(self.bin())
            .output()
            .unwrap()
    }

    fn command(&self, root: &Path, axes: &[&str]) -> Command {
        let out = self.out();
        let mut cmd = edgebench();
        cmd.args(["run", "--model", "/nonexistent/model.gguf", "--out"])
            .arg(&out)
            .args(axes)
            .env("EDGEBENCH_SYSFS_ROOT", root);
        cmd
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
fn no_nvpmodel_is_not_a_jetson() {
    let fakes = Fakes::new(&["jetson_clocks"]);
    let o = fakes.run(&fakes.root(), &["--power-mode", "MAXN"]);
    let missing = format!(
        "power_mode: `{}` is not there",
        fakes.bin().join("nvpmodel").display()
    );
    assert_clean_error(&o, 2, &[&missing]);
    fakes.assert_nothing_ran();
}

#[test]
fn no_jetson_clocks_is_not_a_jetson() {
    let fakes = Fakes::new(&["nvpmodel"]);
    let o = fakes.run(&fakes.root(), &["--jetson-clocks", "on"]);
    let missing = format!(
        "`{}` is not there",
        fakes.bin().join("jetson_clocks").display()
    );
    assert_clean_error(&o, 2, &["jetson_clocks: ", &missing]);
    fakes.assert_nothing_ran();
}

#[test]
fn no_jetson_sysfs_is_not_a_jetson() {
    let fakes = Fakes::new(&["nvpmodel", "jetson_clocks"]);
    let empty = tempfile::tempdir().unwrap();
    let o = fakes.run(empty.path(), &BOTH);
    assert_clean_error(
        &o,
        2,
        &["power_mode and jetson_clocks: not a Jetson: no GPU devfreq node"],
    );
    fakes.assert_nothing_ran();
}

/// Run as root, a program found on PATH would run whatever PATH offers:
/// only L4T's paths (or `--power-tools`) count.
#[test]
fn tools_on_path_are_not_used() {
    let fakes = Fakes::new(&["nvpmodel", "jetson_clocks"]);
    let mut command = fakes.command(&fakes.root(), &BOTH);
    let o = command.env("PATH", fakes.bin()).output().unwrap();
    // The test machine is no Jetson: L4T's nvpmodel is not there.
    assert_clean_error(
        &o,
        2,
        &["power_mode and jetson_clocks: `/usr/sbin/nvpmodel` is not there"],
    );
    fakes.assert_nothing_ran();
}

/// EDGEBENCH_TEST_EUID once stood in for the effective user id; a release
/// binary ignores it, whoever runs the test.
#[test]
fn the_old_test_euid_variable_is_ignored() {
    let fakes = Fakes::new(&["nvpmodel", "jetson_clocks"]);
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    let pretend = if root { "1000" } else { "0" };
    let mut command = fakes.command(&fakes.root(), &BOTH);
    command.arg("--power-tools").arg(fakes.bin());
    let o = command
        .env("EDGEBENCH_TEST_EUID", pretend)
        .output()
        .unwrap();
    match root {
        // Past the power checks: the missing model is the refusal now.
        true => assert_clean_error(&o, 2, &["/nonexistent/model.gguf"]),
        false => assert_clean_error(&o, 2, &["needs root: run edgebench with sudo"]),
    }
    fakes.assert_nothing_ran();
}

#[test]
fn a_bad_mode_name_or_clock_value_is_a_usage_error() {
    let fakes = Fakes::new(&[]);
    let o = fakes.run(&fakes.root(), &["--power-mode", "MAX N"]);
    assert_clean_error(&o, 2, &["--power-mode `MAX N`"]);
    let o = fakes.run(&fakes.root(), &["--jetson-clocks", "maybe"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("`maybe` is not on or off"),
        "{}",
        stderr(&o)
    );
}
