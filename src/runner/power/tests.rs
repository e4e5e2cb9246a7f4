//! The power axes in the sweep loop, with fake `nvpmodel` and `jetson_clocks`
//! scripts that log their argv and change a fake sysfs tree's clock limits as
//! the real ones do; the units run on the scripted engine (thread_child.rs).
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::nvpmodel::parse_power_models;
use super::PowerTools;
use crate::engine::scripted::ScriptedEngine;
use crate::results::{read_record, Columns, Status};
use crate::runner::tests::plan_in;
use crate::runner::thread_child::{Fate, ThreadLauncher};
use crate::runner::{measure_units, plan::Plan};

const GPU: &str = "sys/class/devfreq/17000000.ga10b";
const CPU: &str = "sys/devices/system/cpu/cpu0/cpufreq";

/// A fake Orin NX in mode 2 (15W), clocks not pinned, and the two tools.
struct FakeJetson {
    _dir: tempfile::TempDir,
    root: PathBuf,
    bin: PathBuf,
    log: PathBuf,
}

impl FakeJetson {
    fn new() -> FakeJetson {
        let dir = tempfile::tempdir().unwrap();
        let (root, bin) = (dir.path().join("root"), dir.path().join("bin"));
        let log = dir.path().join("calls.log");
        for sub in [GPU, CPU, "etc"] {
            std::fs::create_dir_all(root.join(sub)).unwrap();
        }
        std::fs::create_dir_all(&bin).unwrap();
        std::fs::write(
            root.join("etc/nvpmodel.conf"),
            "< POWER_MODEL ID=0 NAME=MAXN >\n< POWER_MODEL ID=2 NAME=15W >\n< POWER_MODEL ID=3 NAME=25W >\n",
        )
        .unwrap();
        let fake = FakeJetson {
            _dir: dir,
            root,
            bin,
            log,
        };
        fake.write_tool("nvpmodel", NVPMODEL);
        fake.write_tool("jetson_clocks", JETSON_CLOCKS);
        fake.sh("set_mode 2");
        fake
    }

    fn write_tool(&self, name: &str, body: &str) {
        use std::os::unix::fs::PermissionsExt as _;
        let script = format!(
            "#!/bin/sh\nR='{}'\nG=\"$R/{GPU}\"\nC=\"$R/{CPU}\"\nLOG='{}'\n{SET_MODE}{body}",
            self.root.display(),
            self.log.display()
        );
        let path = self.bin.join(name);
        std::fs::write(&path, script).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }

    /// Runs shell text with the tools' variables and functions (setup only).
    fn sh(&self, text: &str) {
        let script = format!(
            "R='{}'\nG=\"$R/{GPU}\"\nC=\"$R/{CPU}\"\n{SET_MODE}{text}\n",
            self.root.display()
        );
        let status = std::process::Command::new("sh")
            .arg("-c")
            .arg(script)
            .status();
        assert!(status.unwrap().success());
    }

    fn tools(&self) -> PowerTools {
        let conf = std::fs::read_to_string(self.root.join("etc/nvpmodel.conf")).unwrap();
        PowerTools {
            nvpmodel: Some(self.bin.join("nvpmodel")),
            jetson_clocks: self.bin.join("jetson_clocks"),
            sysfs_root: self.root.clone(),
            models: parse_power_models(&conf),
            settle_timeout: Duration::from_secs(5),
        }
    }

    /// The calls that change something (`nvpmodel -q` left out), with the run
    /// directory written as `<run>`.
    fn changes(&self, run_dir: &Path) -> Vec<String> {
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        log.lines()
            .filter(|l| *l != "nvpmodel -q")
            .map(|l| l.replace(&run_dir.display().to_string(), "<run>"))
            .collect()
    }

    fn read(&self, file: &str) -> String {
        std::fs::read_to_string(self.root.join(file))
            .unwrap()
            .trim()
            .to_string()
    }

    /// (mode, gpu min, gpu max, cpu min, cpu max)
    fn state(&self) -> [String; 5] {
        [
            self.read("mode"),
            self.read(&format!("{GPU}/min_freq")),
            self.read(&format!("{GPU}/max_freq")),
            self.read(&format!("{CPU}/scaling_min_freq")),
            self.read(&format!("{CPU}/scaling_max_freq")),
        ]
    }
}

/// nvpmodel -m: each mode's ceilings, minimums at the bottom (clocks unpinned).
const SET_MODE: &str = r#"set_mode() {
  case "$1" in
    0) g=918000000 c=1984000 ;;
    2) g=612000000 c=1497600 ;;
    3) g=408000000 c=1728000 ;;
    *) echo "NVPM ERROR: invalid mode $1" >&2; exit 1 ;;
  esac
  echo "$1" > "$R/mode"; echo $g > "$G/max_freq"; echo 306000000 > "$G/min_freq"
  echo $g > "$G/cur_freq"; echo $c > "$C/scaling_max_freq"; echo 729600 > "$C/scaling_min_freq"
}
"#;

const NVPMODEL: &str = r#"echo "nvpmodel $*" >> "$LOG"
case "$1" in
  -q) id=$(cat "$R/mode")
      case $id in 0) n=MAXN ;; 2) n=15W ;; 3) n=25W ;; esac
      echo "NV Power Mode: $n"; echo "$id" ;;
  -m) set_mode "$2" ;;
esac
"#;

const JETSON_CLOCKS: &str = r#"echo "jetson_clocks $*" >> "$LOG"
files="$G/min_freq $G/max_freq $C/scaling_min_freq $C/scaling_max_freq"
case "$1" in
  --store) for f in $files; do echo "$f $(cat "$f")"; done > "$2" ;;
  --restore) [ -f "$2" ] || { echo "$2: no such file" >&2; exit 1; }
             while read -r f v; do echo "$v" > "$f"; done < "$2" ;;
  "") cat "$G/max_freq" > "$G/min_freq"; cat "$C/scaling_max_freq" > "$C/scaling_min_freq" ;;
esac
"#;

/// A plan of three units in (MAXN, pinned), (MAXN, not pinned), (25W, pinned).
fn power_plan(dir: &Path, fake: &FakeJetson) -> Plan {
    let mut plan = plan_in(dir, 3);
    let settings = [("MAXN", true), ("MAXN", false), ("25W", true)];
    for (unit, (mode, pinned)) in plan.manifest.units.iter_mut().zip(settings) {
        unit.config.power_mode = Some(mode.into());
        unit.config.jetson_clocks = Some(pinned);
    }
    plan.power = Some(fake.tools());
    plan
}

const ORIGINAL: [&str; 5] = ["2", "306000000", "612000000", "729600", "1497600"];

const RESTORE: [&str; 2] = [
    "nvpmodel -m 2",
    "jetson_clocks --restore <run>/power/original.conf",
];

#[test]
fn each_unit_runs_in_its_power_state_and_the_original_comes_back() {
    let (dir, fake) = (tempfile::tempdir().unwrap(), FakeJetson::new());
    let mut plan = power_plan(dir.path(), &fake);
    let launcher = ThreadLauncher::new(|_| (ScriptedEngine::default(), Fate::Finish));
    let records = measure_units(&mut plan, &launcher, false).unwrap();
    assert_eq!(
        fake.changes(&plan.run_dir),
        [
            "jetson_clocks --store <run>/power/original.conf",
            "nvpmodel -m 0",
            "jetson_clocks --store <run>/power/mode-0.conf",
            "jetson_clocks ",
            "jetson_clocks --restore <run>/power/mode-0.conf",
            "nvpmodel -m 3",
            "jetson_clocks --store <run>/power/mode-3.conf",
            "jetson_clocks ",
            RESTORE[0],
            RESTORE[1],
        ]
    );
    assert_eq!(fake.state(), ORIGINAL);
    let in_force: Vec<_> = records
        .iter()
        .map(|r| {
            let c = &r.rows[0].config;
            (
                c.power_mode.clone().unwrap(),
                c.jetson_clocks.unwrap(),
                c.gpu_max_freq_mhz.unwrap(),
            )
        })
        .collect();
    let expected = [
        ("MAXN", true, 918.0),
        ("MAXN", false, 918.0),
        ("25W", true, 408.0),
    ];
    let expected: Vec<_> = expected
        .iter()
        .map(|(m, p, g)| (m.to_string(), *p, *g))
        .collect();
    assert_eq!(in_force, expected);
    let power_of = |c: &crate::results::RowConfig| (c.power_mode.clone(), c.jetson_clocks);
    let same_in_every_row = |r: &crate::results::UnitRecord| {
        let first = power_of(&r.rows[0].config);
        r.rows.iter().all(|row| power_of(&row.config) == first)
    };
    assert!(records.iter().all(same_in_every_row));
    assert_eq!(records[2].rows[0].config.cpu_max_freq_mhz, Some(1728.0));
    assert!(records[2].rows[0].config.label().ends_with(" pm=25W jc=on"));

    let power = plan.manifest.power.as_ref().unwrap();
    assert_eq!(
        (power.original_mode_id, power.original_mode_name.as_deref()),
        (Some(2), Some("15W"))
    );
    assert_eq!(power.restored.as_deref(), Some("restored"));
    let unit = &power.units["c2-k0"];
    assert_eq!(
        (unit.requested_mode.as_deref(), unit.requested_mode_id),
        (Some("25W"), Some(3))
    );
    assert_eq!(
        (unit.mode_id, unit.jetson_clocks, unit.settled),
        (Some(3), Some(true), true)
    );
    let saved = read_record(&plan.run_dir, "c1-k0").unwrap().unwrap();
    assert_eq!(saved.power.unwrap().jetson_clocks, Some(false));

    let speed = Columns::read(&plan.run_dir.join("speed.parquet")).unwrap();
    let modes = speed.text("power_mode");
    assert_eq!(modes.first().cloned().flatten().as_deref(), Some("MAXN"));
    assert_eq!(modes.last().cloned().flatten().as_deref(), Some("25W"));
}

#[test]
fn a_crashed_child_costs_its_unit_and_the_original_still_comes_back() {
    let (dir, fake) = (tempfile::tempdir().unwrap(), FakeJetson::new());
    let mut plan = power_plan(dir.path(), &fake);
    let launcher = ThreadLauncher::new(|job| {
        let fate = match job.unit.id.as_str() {
            "c0-k0" => Fate::CrashAt("tg16".into()),
            _ => Fate::Finish,
        };
        (ScriptedEngine::default(), fate)
    });
    let records = measure_units(&mut plan, &launcher, false).unwrap();
    assert_eq!(records[0].status, Status::Crashed);
    assert_eq!(
        records[0].rows[0].config.power_mode.as_deref(),
        Some("MAXN")
    );
    assert_eq!(records[2].status, Status::Ok);
    assert!(fake
        .changes(&plan.run_dir)
        .ends_with(&RESTORE.map(String::from)));
    assert_eq!(fake.state(), ORIGINAL);
}

#[test]
fn an_interrupt_restores_the_original_before_the_sweep_stops() {
    let (dir, fake) = (tempfile::tempdir().unwrap(), FakeJetson::new());
    let mut plan = power_plan(dir.path(), &fake);
    let interrupt = plan.interrupt.clone();
    let launcher = ThreadLauncher::new(move |job| match job.unit.id.as_str() {
        "c1-k0" => {
            interrupt.request();
            (ScriptedEngine::default(), Fate::HangAt("tg16".into()))
        }
        _ => (ScriptedEngine::default(), Fate::Finish),
    });
    let records = measure_units(&mut plan, &launcher, false).unwrap();
    assert_eq!(records.len(), 1);
    let changes = fake.changes(&plan.run_dir);
    assert!(
        !changes.contains(&"nvpmodel -m 3".to_string()),
        "{changes:?}"
    );
    assert!(changes.ends_with(&RESTORE.map(String::from)), "{changes:?}");
    assert_eq!(fake.state(), ORIGINAL);
    let power = plan.manifest.power.as_ref().unwrap();
    assert_eq!(power.restored.as_deref(), Some("restored"));
}

#[test]
fn a_sweep_that_dies_restores_the_original_on_the_way_out() {
    let (dir, fake) = (tempfile::tempdir().unwrap(), FakeJetson::new());
    let mut plan = power_plan(dir.path(), &fake);
    let dying = ThreadLauncher::new(|job| {
        if job.unit.id == "c1-k0" {
            std::panic::resume_unwind(Box::new("the sweep died"));
        }
        (ScriptedEngine::default(), Fate::Finish)
    });
    let run = std::panic::AssertUnwindSafe(|| measure_units(&mut plan, &dying, false));
    assert!(std::panic::catch_unwind(run).is_err());
    assert!(fake
        .changes(&plan.run_dir)
        .ends_with(&RESTORE.map(String::from)));
    assert_eq!(fake.state(), ORIGINAL);
}

#[test]
fn a_failing_tool_stops_the_sweep_and_the_original_comes_back() {
    let (dir, fake) = (tempfile::tempdir().unwrap(), FakeJetson::new());
    let mut plan = power_plan(dir.path(), &fake);
    // A board whose nvpmodel.conf lists 25W but whose nvpmodel refuses it.
    fake.write_tool(
        "nvpmodel",
        &NVPMODEL.replace("-m) set_mode", "-m) [ \"$2\" = 3 ] && { echo 'NVPM ERROR: failed to set mode 3' >&2; exit 1; }; set_mode"),
    );
    let launcher = ThreadLauncher::new(|_| (ScriptedEngine::default(), Fate::Finish));
    let error = measure_units(&mut plan, &launcher, false)
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("nvpmodel -m 3` failed") && error.contains("failed to set mode 3"),
        "{error}"
    );
    assert!(fake
        .changes(&plan.run_dir)
        .ends_with(&RESTORE.map(String::from)));
    assert_eq!(fake.state(), ORIGINAL);
}

/// A sweep with both power axes.
fn power_sweep(dir: &Path, modes: &[&str]) -> crate::config::Sweep {
    let mut sweep = plan_in(dir, 1).manifest.sweep;
    sweep.power_mode = modes.iter().map(|m| m.to_string()).collect();
    sweep.jetson_clocks = vec![true, false];
    sweep
}

fn machine(fake: &FakeJetson, euid: u32) -> super::Machine {
    super::Machine {
        sysfs_root: fake.root.clone(),
        tools: super::ToolPaths::new(Some(&fake.bin)),
        euid,
    }
}

#[test]
fn preflight_needs_root_and_a_mode_the_board_has() {
    let (dir, fake) = (tempfile::tempdir().unwrap(), FakeJetson::new());
    let sweep = power_sweep(dir.path(), &["MAXN", "25W"]);
    let e = super::preflight(&sweep, &machine(&fake, 1000)).unwrap_err();
    assert!(
        e.to_string()
            .contains("needs root: run edgebench with sudo"),
        "{e}"
    );
    let tools = super::preflight(&sweep, &machine(&fake, 0))
        .unwrap()
        .unwrap();
    assert_eq!(tools.nvpmodel, Some(fake.bin.join("nvpmodel")));
    assert_eq!(tools.jetson_clocks, fake.bin.join("jetson_clocks"));
    let lacking = power_sweep(dir.path(), &["MAXN", "30W"]);
    let e = super::preflight(&lacking, &machine(&fake, 0)).unwrap_err();
    assert!(
        e.to_string()
            .contains("power mode `30W` is not one of this board's: MAXN (0), 15W (2), 25W (3)"),
        "{e}"
    );
    assert!(!fake.log.exists(), "preflight runs no tool");
}

#[test]
fn the_tools_default_to_l4t_paths_not_path() {
    let default = super::ToolPaths::new(None);
    assert_eq!(default.nvpmodel, Path::new("/usr/sbin/nvpmodel"));
    assert_eq!(default.jetson_clocks, Path::new("/usr/bin/jetson_clocks"));
}
