//! Resource samplers in a real sweep, `doctor`, and tegrastats log import.
mod common;
use common::*;

#[test]
fn sweep_samples_show_the_child_rss_rising_past_the_model_size_during_load() {
    let _serial = one_at_a_time();
    let out = tempfile::tempdir().unwrap();
    let model = gemma();
    let model_mb = std::fs::metadata(&model).unwrap().len() as f64 / 1048576.0;
    let o = quick_run(&[&model], out.path(), &["--sample-ms", "20"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let dir = run_dir(&o);

    let samples = read_parquet(&dir.join("samples.parquet"));
    assert!(dir.join("samples.csv").is_file());
    let (metric, value, phase, test) = (
        strings(&samples, "metric"),
        floats(&samples, "value"),
        strings(&samples, "phase"),
        strings(&samples, "test"),
    );
    let rss = |want_phase: &str| -> Vec<f64> {
        (0..samples.height())
            .filter(|&i| {
                metric[i].as_deref() == Some("process_rss_mb")
                    && phase[i].as_deref() == Some(want_phase)
            })
            .map(|i| value[i].unwrap())
            .collect()
    };
    let during_load = rss("load");
    assert!(
        during_load.len() >= 2,
        "load sampled {} times",
        during_load.len()
    );
    let peak_load = during_load.iter().cloned().fold(0.0, f64::max);
    assert!(
        peak_load > model_mb,
        "peak RSS during load {peak_load:.0} MiB <= model {model_mb:.0} MiB: {during_load:?}"
    );
    assert!(
        during_load[0] < peak_load,
        "RSS rose during load: {during_load:?}"
    );
    assert!(!rss("idle").is_empty() || phase.iter().any(|p| p.as_deref() == Some("idle")));
    assert!(test.iter().any(|t| t.as_deref() == Some("tg8")));
    let run_id = dir.file_name().unwrap().to_str().unwrap().to_string();
    assert!(strings(&samples, "run_id")
        .iter()
        .all(|r| r.as_deref() == Some(run_id.as_str())));
    // System-wide memory is sampled too.
    assert!(metric.iter().any(|m| m.as_deref() == Some("ram_used_mb")));

    let summary = read_parquet(&dir.join("summary.parquet"));
    let peak = floats(&summary, "peak_rss_mb");
    assert!(
        peak.iter().all(|p| p.is_some_and(|p| p > model_mb)),
        "{peak:?}"
    );
    assert!(strings(&summary, "unified_memory")
        .iter()
        .all(|u| u.as_deref() == Some("false")));
    // No power sensor on this machine: energy is null, not zero.
    for c in [
        "mean_power_w",
        "energy_j",
        "joules_per_token",
        "peak_vram_mb",
    ] {
        assert!(summary.column(c).is_ok(), "summary lacks {c}");
    }

    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
    let backends = manifest["sampling"]["backends"].as_array().unwrap();
    let sysinfo = backends.iter().find(|b| b["name"] == "sysinfo").unwrap();
    assert_eq!(sysinfo["available"], true);
    let nvml = backends.iter().find(|b| b["name"] == "nvml").unwrap();
    if !std::path::Path::new("/dev/nvidiactl").exists() {
        assert_eq!(nvml["available"], false);
        assert!(nvml["detail"].as_str().unwrap().contains("NVML"));
    }
    let session = &manifest["sampling"]["sessions"][0];
    assert!(session["ticks"].as_u64().unwrap() > 10);
    assert!(session["cpu_s"].as_f64().unwrap() >= 0.0);
}

/// A minimal Orin-like sysfs tree: one thermal zone, the GPU devfreq node, one ina3221 rail.
fn fake_orin(root: &std::path::Path) {
    let write = |p: &str, v: &str| {
        let path = root.join(p);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, v).unwrap();
    };
    write("sys/class/thermal/thermal_zone0/type", "cpu-thermal\n");
    write("sys/class/thermal/thermal_zone0/temp", "47156\n");
    write("sys/class/devfreq/17000000.ga10b/cur_freq", "306000000\n");
    write("sys/class/devfreq/17000000.ga10b/min_freq", "306000000\n");
    write("sys/class/devfreq/17000000.ga10b/max_freq", "918000000\n");
    write("sys/class/devfreq/17000000.ga10b/device/load", "250\n");
    let hwmon = "sys/bus/i2c/drivers/ina3221/1-0040/hwmon/hwmon1";
    write(&format!("{hwmon}/name"), "ina3221\n");
    write(&format!("{hwmon}/in1_label"), "VDD_IN\n");
    write(&format!("{hwmon}/in1_input"), "5000\n");
    write(&format!("{hwmon}/curr1_input"), "1000\n");
}

#[test]
fn doctor_explains_every_backend() {
    let o = edgebench()
        .arg("doctor")
        .env("EDGEBENCH_SYSFS_ROOT", "/nonexistent-root")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("yes sysinfo"), "{text}");
    assert!(
        text.contains("jetson") && text.contains("not a Jetson"),
        "{text}"
    );
    if !std::path::Path::new("/dev/nvidiactl").exists() {
        assert!(text.contains("no  nvml") && text.contains("NVML"), "{text}");
    }
    assert!(text.contains("no  rapl     no RAPL zone ("), "{text}");

    // A PC's powercap tree: the package and its DRAM.
    let pc = tempfile::tempdir().unwrap();
    for (zone, name) in [("intel-rapl:0", "package-0"), ("intel-rapl:0:0", "dram")] {
        let dir = pc.path().join("sys/class/powercap").join(zone);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("name"), format!("{name}\n")).unwrap();
        std::fs::write(dir.join("energy_uj"), "123456\n").unwrap();
    }
    let o = edgebench()
        .arg("doctor")
        .env("EDGEBENCH_SYSFS_ROOT", pc.path())
        .output()
        .unwrap();
    let text = stdout(&o);
    assert!(
        text.contains("yes rapl     2 RAPL domain(s) (package-0, dram)"),
        "{text}"
    );

    let fake = tempfile::tempdir().unwrap();
    fake_orin(fake.path());
    let o = edgebench()
        .arg("doctor")
        .env("EDGEBENCH_SYSFS_ROOT", fake.path())
        .output()
        .unwrap();
    let text = stdout(&o);
    assert!(
        text.contains("yes jetson") && text.contains("VDD_IN"),
        "{text}"
    );
}

/// A fake tegrastats that notes it ran (in `ran`) and prints a line a second.
fn fake_tegrastats(dir: &std::path::Path) -> (std::path::PathBuf, std::path::PathBuf) {
    use std::os::unix::fs::PermissionsExt as _;
    let (program, ran) = (dir.join("tegrastats"), dir.join("ran"));
    let line = "RAM 3012/15656MB (lfb 1796x4MB) SWAP 0/7828MB (cached 0MB) CPU [63%@1984,58%@1984] GR3D_FREQ 0%@[918,918] cpu@52.5C tj@52.593C VDD_IN 11500mW/11200mW";
    let script = format!(
        "#!/bin/sh\ntouch '{}'\nwhile :; do echo '{line}' || exit 0; sleep 0.2; done\n",
        ran.display()
    );
    std::fs::write(&program, script).unwrap();
    std::fs::set_permissions(&program, std::fs::Permissions::from_mode(0o755)).unwrap();
    (program, ran)
}

/// The tegrastats run is L4T's or the one `--tegrastats` names: the
/// environment (EDGEBENCH_TEGRASTATS, once a test hook) chooses no program.
#[test]
fn doctor_runs_only_the_tegrastats_it_is_given() {
    let fake = tempfile::tempdir().unwrap();
    fake_orin(fake.path());
    let bin = tempfile::tempdir().unwrap();
    let (program, ran) = fake_tegrastats(bin.path());
    let o = edgebench()
        .arg("doctor")
        .env("EDGEBENCH_SYSFS_ROOT", fake.path())
        .env("EDGEBENCH_TEGRASTATS", &program)
        .output()
        .unwrap();
    let text = stdout(&o);
    assert!(text.contains("sysfs (tegrastats not found)"), "{text}");
    assert!(!ran.exists(), "the program in the environment ran");

    let o = edgebench()
        .arg("doctor")
        .arg("--tegrastats")
        .arg(&program)
        .env("EDGEBENCH_SYSFS_ROOT", fake.path())
        .output()
        .unwrap();
    let text = stdout(&o);
    assert!(text.contains("yes jetson   tegrastats:"), "{text}");
    assert!(ran.exists());
}

#[test]
fn tegrastats_logs_import_into_the_sample_schema_and_count_bad_lines() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("tegra.log");
    std::fs::write(
        &log,
        "11-24-2026 05:43:48 RAM 2448/15656MB (lfb 2810x4MB) SWAP 0/7828MB (cached 0MB) CPU [12%@1190,5%@1190,off,off] GR3D_FREQ 0%@[305,305] cpu@45.5C tj@46.593C VDD_IN 5332mW/5332mW VDD_CPU_GPU_CV 553mW/553mW\n\
         this line is not tegrastats\n\
         11-24-2026 05:43:49 RAM 2450/15656MB (lfb 2810x4MB) SWAP 0/7828MB (cached 0MB) CPU [14%@1190,6%@1190,off,off] GR3D_FREQ 99%@[918,918] cpu@46C tj@47C VDD_IN 9100mW/7216mW VDD_CPU_GPU_CV 3100mW/1826mW\n",
    )
    .unwrap();
    let out = dir.path().join("samples.parquet");
    let o = edgebench()
        .args(["telemetry", "import-tegrastats"])
        .arg(&log)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(
        text.contains("3 lines, 2 parsed, 1 not understood") && text.contains("line 2"),
        "{text}"
    );
    let frame = read_parquet(&out);
    let (metric, value, t) = (
        strings(&frame, "metric"),
        floats(&frame, "value"),
        floats(&frame, "t_ms"),
    );
    let vdd_in: Vec<(f64, f64)> = (0..frame.height())
        .filter(|&i| metric[i].as_deref() == Some("power_VDD_IN_mw"))
        .map(|i| (t[i].unwrap(), value[i].unwrap()))
        .collect();
    assert_eq!(vdd_in, vec![(0.0, 5332.0), (1000.0, 9100.0)]);

    let bad = edgebench()
        .args(["telemetry", "import-tegrastats"])
        .arg(&log)
        .args(["--out", "x.json"])
        .output()
        .unwrap();
    assert_clean_error(&bad, 2, &["x.json"]);
}

/// With a (fake) Jetson sensor tree: power and energy columns are filled, and the
/// cool-down waits between candidates for the hottest sensor, at most --cooldown-max.
#[test]
fn fake_jetson_sensors_give_energy_figures_and_drive_the_cool_down() {
    let _serial = one_at_a_time();
    let fake = tempfile::tempdir().unwrap();
    fake_orin(fake.path()); // 47.156 °C, VDD_IN 5000 mV x 1000 mA = 5 W
    let out = tempfile::tempdir().unwrap();
    let smol = smollm();
    let mut cmd = edgebench();
    cmd.env("EDGEBENCH_SYSFS_ROOT", fake.path())
        .arg("run")
        .arg("--out")
        .arg(out.path());
    cmd.arg("--model").arg(&smol).arg("--model").arg(&smol);
    cmd.args([
        "--suite",
        "speed",
        "--reps",
        "1",
        "--warmup",
        "0",
        "--pp",
        "32",
        "--tg",
        "8",
        "--threads",
        "2",
    ]);
    cmd.args([
        "--e2e-tokens",
        "50",
        "--ctx",
        "2048",
        "--cooldown-temp",
        "40",
        "--cooldown-max",
        "1",
    ]);
    // Short tests: sample often enough that each has ticks inside it.
    cmd.args(["--sample-ms", "10"]);
    let o = cmd.output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("cool-down: still 47.2 °C after 1 s"),
        "{}",
        stderr(&o)
    );
    let dir = run_dir(&o);
    let part = |unit: &str| -> serde_json::Value {
        serde_json::from_str(
            &std::fs::read_to_string(dir.join(format!("parts/{unit}.json"))).unwrap(),
        )
        .unwrap()
    };
    assert!(
        part("c0-k0")["cooldown_s"].is_null(),
        "no wait before the first candidate"
    );
    let waited = part("c1-k0")["cooldown_s"].as_f64().unwrap();
    assert!((1.0..3.0).contains(&waited), "{waited}");

    let summary = read_parquet(&dir.join("summary.parquet"));
    let (tests, power, energy, jpt, idle) = (
        strings(&summary, "test"),
        floats(&summary, "mean_power_w"),
        floats(&summary, "energy_j"),
        floats(&summary, "joules_per_token"),
        floats(&summary, "energy_above_idle_j"),
    );
    for i in 0..summary.height() {
        assert_eq!(power[i], Some(5.0), "{:?}", tests[i]);
        assert!(energy[i].unwrap() > 0.0 && jpt[i].unwrap() > 0.0);
        // Idle power is the same 5 W: nothing above idle.
        assert!(idle[i].unwrap().abs() < 1e-9);
    }
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["sampling"]["idle_power_w"], 5.0);
}
