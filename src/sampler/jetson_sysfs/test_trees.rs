//! Fake sysfs/procfs trees for the tests, and a compact view of readings.

use std::fs;
use std::os::unix::fs::symlink;
use std::path::Path;

use crate::sampler::Reading;

/// A fake filesystem root in a temporary directory.
pub(super) struct Tree(tempfile::TempDir);

impl Tree {
    pub(super) fn new() -> Tree {
        Tree(tempfile::tempdir().unwrap())
    }

    pub(super) fn root(&self) -> &Path {
        self.0.path()
    }

    pub(super) fn file(&self, rel: &str, content: &str) -> &Tree {
        let path = self.root().join(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, content).unwrap();
        self
    }

    /// root/rel becomes a link to root/target, as sysfs class entries are.
    pub(super) fn link(&self, rel: &str, target: &str) -> &Tree {
        let path = self.root().join(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::create_dir_all(self.root().join(target)).unwrap();
        symlink(self.root().join(target), path).unwrap();
        self
    }

    pub(super) fn remove(&self, rel: &str) {
        fs::remove_file(self.root().join(rel)).unwrap();
    }

    pub(super) fn zone(&self, index: u32, kind: &str, temp: &str) -> &Tree {
        let dir = format!("sys/class/thermal/thermal_zone{index}");
        self.file(&format!("{dir}/type"), &format!("{kind}\n"))
            .file(&format!("{dir}/temp"), &format!("{temp}\n"))
    }
}

/// Orin NX 16GB on JetPack 6: zones behind class links (three cv* offline), the
/// GPU's devfreq under the platform bus, one ina3221 reachable two ways.
pub(super) fn orin_nx_jp6() -> Tree {
    let t = Tree::new();
    let zones = [
        ("cpu-thermal", "45531"),
        ("gpu-thermal", "43218"),
        ("cv0-thermal", "-256000"),
        ("cv1-thermal", "-256000"),
        ("cv2-thermal", "-256000"),
        ("soc0-thermal", "44093"),
        ("soc1-thermal", "42750"),
        ("soc2-thermal", "43500"),
        ("tj-thermal", "46125"),
    ];
    for (i, (kind, temp)) in zones.iter().enumerate() {
        let real = format!("sys/devices/virtual/thermal/thermal_zone{i}");
        t.file(&format!("{real}/type"), &format!("{kind}\n"))
            .file(&format!("{real}/temp"), &format!("{temp}\n"))
            .link(&format!("sys/class/thermal/thermal_zone{i}"), &real);
    }
    t.link(
        "sys/class/thermal/cooling_device0",
        "sys/devices/virtual/thermal/cooling_device0",
    );
    let gpu = "sys/devices/platform/bus@0/17000000.ga10b";
    let gpu_devfreq = format!("{gpu}/devfreq/17000000.ga10b");
    t.file(&format!("{gpu}/load"), "537\n")
        .file(&format!("{gpu}/of_node/name"), "gpu\0")
        .file(&format!("{gpu_devfreq}/cur_freq"), "918000000\n")
        .file(&format!("{gpu_devfreq}/min_freq"), "306000000\n")
        .file(&format!("{gpu_devfreq}/max_freq"), "918000000\n")
        .link(&format!("{gpu_devfreq}/device"), gpu)
        .link("sys/class/devfreq/17000000.ga10b", &gpu_devfreq);
    // Other engines have devfreq nodes too; they must not be taken for the GPU.
    t.file("sys/class/devfreq/15340000.vic/cur_freq", "115200000\n")
        .file("sys/class/devfreq/31b0000.emc/cur_freq", "3199000000\n");
    let chip = "sys/devices/platform/bus@0/c240000.i2c/i2c-1/1-0040";
    let hw = format!("{chip}/hwmon/hwmon1");
    t.file(&format!("{hw}/name"), "ina3221\n");
    for (n, label, mv, ma) in [
        (1, "VDD_IN", "5008", "1264"),
        (2, "VDD_CPU_GPU_CV", "5000", "440"),
        (3, "VDD_SOC", "5000", "800"),
    ] {
        t.file(&format!("{hw}/in{n}_label"), &format!("{label}\n"))
            .file(&format!("{hw}/in{n}_input"), &format!("{mv}\n"))
            .file(&format!("{hw}/curr{n}_input"), &format!("{ma}\n"));
    }
    // Shunt channels: in4..in6 unlabelled, in7 the sum, curr4 its current.
    t.file(&format!("{hw}/in4_input"), "10\n")
        .file(&format!("{hw}/in7_label"), "sum of shunt voltages\n")
        .file(&format!("{hw}/in7_input"), "30\n")
        .file(&format!("{hw}/curr4_input"), "2504\n")
        .link("sys/bus/i2c/drivers/ina3221/1-0040", chip)
        .link("sys/bus/i2c/devices/1-0040", chip);
    // An unrelated hwmon chip on the same bus.
    t.file("sys/bus/i2c/devices/0-004c/hwmon/hwmon0/name", "tmp451\n")
        .file(
            "sys/bus/i2c/devices/0-004c/hwmon/hwmon0/in1_label",
            "VDD_X\n",
        )
        .file("sys/bus/i2c/devices/0-004c/hwmon/hwmon0/in1_input", "1\n")
        .file("sys/bus/i2c/devices/0-004c/hwmon/hwmon0/curr1_input", "1\n");
    t.file(
        "proc/meminfo",
        "MemTotal:       16000000 kB\nMemFree:         9000000 kB\n\
         MemAvailable:   12000000 kB\nBuffers:           12345 kB\n\
         SwapCached:            0 kB\nSwapTotal:       8192000 kB\n\
         SwapFree:        7168000 kB\nNvMapMemUsed:     204800 kB\n",
    );
    t
}

/// Readings as (metric, value) for compact exact comparison.
pub(super) fn pairs(readings: &[Reading]) -> Vec<(&str, f64)> {
    readings
        .iter()
        .map(|r| (r.metric.as_str(), r.value))
        .collect()
}
