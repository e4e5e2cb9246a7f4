//! manifest.json: the conditions a run was measured under, so a number can be
//! reproduced or explained later (build flags, llama.cpp build, host, config).
use std::path::Path;

use anyhow::{Context as _, Result};
use serde::{Deserialize, Serialize};

use super::plan::{Sweep, WorkUnit};
use super::redact::{expand_home, show, Redaction, REDACTED};
use super::{write_atomic, ModelMeta};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    pub run_id: String,
    pub started_at: String,
    pub ended_at: Option<String>,
    /// "running" until the sweep ends; a killed run stays "running" until resumed.
    pub state: String,
    pub resumed_at: Vec<String>,
    pub edgebench: BuildInfo,
    pub llama_cpp: EngineProbe,
    pub host: HostInfo,
    /// Written with `--redact`: no host name, model paths as `~/...` or file names.
    #[serde(default)]
    pub redacted: bool,
    pub sweep: Sweep,
    pub units: Vec<WorkUnit>,
    pub models: Vec<ModelMeta>,
    /// Resource samplers: which worked, their cost, the idle power baseline.
    #[serde(default)]
    pub sampling: Option<SamplingInfo>,
    /// Conditions that change the numbers: Jetson power mode and clocks, NVML driver and power limits.
    #[serde(default)]
    pub conditions: serde_json::Value,
    /// llama.cpp's CPU weight paths (AMX, repack): compiled in, offered by the CPU, used.
    #[serde(default)]
    pub cpu_paths: Option<CpuPaths>,
    /// Suite name -> sha256 of its file and the prompt texts it read (runs before
    /// 2026-11-29 have none).
    #[serde(default)]
    pub suite_digests: std::collections::BTreeMap<String, String>,
    /// Resumes with `--resume-force` although inputs had changed: when, and what.
    #[serde(default)]
    pub forced_resumes: Vec<ForcedResume>,
    /// Unit id -> the server that unit measured, as it described itself
    /// (served candidates only).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub servers: std::collections::BTreeMap<String, serde_json::Value>,
    /// The Jetson power axes: the original state, each unit's, the restore.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub power: Option<super::power::PowerRecord>,
}

/// A resume that went ahead with changed models, suites or builds; the manifest
/// then describes the new ones, and this says what they replaced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ForcedResume {
    pub at: String,
    pub changes: Vec<String>,
}

/// Which of llama.cpp's special CPU weight paths a run had and used. AMX kernels
/// crash on some cloud Xeons, so the default build leaves them out (docs/build.md).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CpuPaths {
    /// The CPU announces AMX (`amx_tile`, `amx_int8` in /proc/cpuinfo).
    pub cpu_has_amx: bool,
    /// llama.cpp was compiled with its AMX kernels (`AMX_INT8 = 1` in system_info).
    pub amx_compiled: bool,
    /// llama.cpp was compiled with runtime weight repacking (`REPACK = 1`).
    pub repack_compiled: bool,
    /// Weight buffer types the units' models were loaded into (from llama.cpp's
    /// load log: `CPU_REPACK`, `AMX`, `CPU_Mapped`, `CUDA0`...), over all units.
    #[serde(default)]
    pub weight_buffers_used: Vec<String>,
}

impl CpuPaths {
    pub fn detect(system_info: &str) -> Self {
        CpuPaths {
            cpu_has_amx: cpu_flag("amx_int8"),
            amx_compiled: system_info.contains("AMX_INT8 = 1"),
            repack_compiled: system_info.contains("REPACK = 1"),
            weight_buffers_used: Vec::new(),
        }
    }
}

/// Whether /proc/cpuinfo lists `flag` for this CPU (false where there is no such file).
pub fn cpu_flag(flag: &str) -> bool {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find(|l| l.starts_with("flags") || l.starts_with("Features"))
                .map(|l| l.split_whitespace().any(|f| f == flag))
        })
        .unwrap_or(false)
}

/// What `edgebench __probe` reports about the linked llama.cpp: recorded in the manifest.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct EngineProbe {
    pub llama_cpp_sys_version: String,
    pub system_info: String,
    pub supports_gpu_offload: bool,
    pub devices: Vec<DeviceInfo>,
    /// How the backends came in: native (linked) or portable (loaded at start).
    /// Absent (empty `build_kind`) in runs from before portable builds existed.
    #[serde(default)]
    pub backends: BackendLoading,
}

/// The build kind and, for a portable build, which backend libraries were found
/// beside the binary and which CPU variant ggml chose (docs/build.md).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BackendLoading {
    /// `native`: llama.cpp compiled into the binary for the build machine's CPU;
    /// `portable`: backends loaded at start from the binary's directory.
    pub build_kind: String,
    /// Backends registered with ggml after loading (`CPU`, `CUDA`...).
    pub registered: Vec<String>,
    /// Backend libraries beside a portable binary (`libggml-cpu-zen4.so`, `libggml-cuda.so`...).
    pub libraries: Vec<String>,
    /// The CPU variant ggml loaded (portable builds): the best-scoring one.
    pub cpu_variant: Option<String>,
    /// ggml's score of every CPU variant here, best first.
    pub cpu_variant_scores: Vec<VariantScore>,
    /// GPU (non-CPU) backend libraries found but not registered, with why.
    #[serde(default)]
    pub not_loaded: Vec<String>,
}

/// One CPU variant and its `ggml_backend_score` on this CPU: 0 when the CPU
/// lacks an instruction set the variant was compiled for; otherwise the more
/// instruction sets it uses, the higher.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VariantScore {
    pub variant: String,
    pub score: Option<i32>,
    /// Why the library could not be scored (could not be loaded...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeviceInfo {
    pub name: String,
    pub description: String,
    pub backend: String,
    pub kind: String,
    pub memory_total_bytes: u64,
}

/// Whether a backend is usable here and, if not, why (for `doctor` and the manifest).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BackendStatus {
    pub name: String,
    pub available: bool,
    /// What it measures, or why it is missing.
    pub detail: String,
}

/// What sampling itself cost: the sampler must not distort what it measures.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SamplerReport {
    pub interval_ms: u64,
    pub ticks: u64,
    pub wall_s: f64,
    /// CPU time of the sampling thread (getrusage RUSAGE_THREAD).
    pub cpu_s: f64,
    /// cpu_s / wall_s: the share of one core spent sampling.
    pub cpu_share_of_one_core: f64,
    pub backends: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SamplingInfo {
    pub interval_ms: u64,
    pub backends: Vec<BackendStatus>,
    /// Mean power over the idle seconds before the first candidate (None: no power sensor).
    pub idle_power_w: Option<f64>,
    /// One per sweep session (a resumed run has several).
    pub sessions: Vec<SamplerReport>,
    /// Whether GPU memory is system RAM here (Jetson, integrated GPU).
    pub unified_memory: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BuildInfo {
    pub version: String,
    pub git_commit: String,
    pub profile: String,
    pub target: String,
    /// RUSTFLAGS the binary (and llama.cpp, through llama-cpp-sys-2) was built with.
    pub rustflags: String,
    pub features: String,
    /// Whether llama.cpp was compiled for this CPU (GGML_NATIVE), which llama-cpp-sys-2
    /// only does when RUSTFLAGS carry target-cpu=native.
    pub ggml_native: bool,
    /// The flags llama.cpp's CPU backend was compiled with (ggml-cpu's CXX_FLAGS).
    #[serde(default)]
    pub llama_cpu_flags: String,
}

impl BuildInfo {
    pub fn current() -> Self {
        let rustflags = env!("EDGEBENCH_RUSTFLAGS").to_string();
        BuildInfo {
            version: env!("CARGO_PKG_VERSION").to_string(),
            git_commit: env!("EDGEBENCH_GIT_COMMIT").to_string(),
            profile: env!("EDGEBENCH_PROFILE").to_string(),
            target: env!("EDGEBENCH_TARGET").to_string(),
            ggml_native: rustflags.contains("target-cpu=native"),
            rustflags,
            features: env!("EDGEBENCH_FEATURES").to_string(),
            llama_cpu_flags: env!("EDGEBENCH_LLAMA_CPU_FLAGS").to_string(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HostInfo {
    pub hostname: Option<String>,
    pub os: Option<String>,
    pub kernel: Option<String>,
    pub arch: String,
    pub cpu_model: String,
    pub physical_cores: Option<usize>,
    pub logical_cpus: usize,
    pub ram_total_bytes: u64,
    pub ram_available_bytes: u64,
    /// CPU frequency governor (performance/powersave...), which moves numbers by itself.
    pub cpu_governor: Option<String>,
    /// Measured at the start of the sweep (or taken from the cache of an earlier
    /// one on this host and build); None with `--no-bandwidth` and in older runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_bandwidth: Option<MemoryBandwidth>,
}

/// The host's memory read bandwidth as edgebench measured it (docs/metrics.md,
/// *Memory bandwidth*): the roofline of a host without a device profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemoryBandwidth {
    /// Best pass, GB/s (10^9 bytes per second): the roofline's figure.
    pub gbs: f64,
    /// Median pass, GB/s.
    pub median_gbs: f64,
    /// How it was measured, in words.
    pub method: String,
    pub threads: usize,
    pub buffer_mib: u64,
    pub passes: u32,
    pub measured_at: String,
    /// The 1-minute load average just before: other work lowers the figure.
    pub load_1m: Option<f64>,
    /// Taken from the cache of an earlier sweep on this host and build.
    #[serde(default)]
    pub from_cache: bool,
}

impl HostInfo {
    pub fn read() -> Self {
        let mut system = sysinfo::System::new();
        system.refresh_memory();
        system.refresh_cpu_all();
        let cpu_model = system
            .cpus()
            .first()
            .map(|c| c.brand().trim().to_string())
            .filter(|b| !b.is_empty())
            .unwrap_or_else(|| "unknown".into());
        HostInfo {
            hostname: sysinfo::System::host_name(),
            os: sysinfo::System::long_os_version(),
            kernel: sysinfo::System::kernel_version(),
            arch: std::env::consts::ARCH.to_string(),
            cpu_model,
            physical_cores: sysinfo::System::physical_core_count(),
            logical_cpus: system.cpus().len(),
            ram_total_bytes: system.total_memory(),
            ram_available_bytes: system.available_memory(),
            cpu_governor: std::fs::read_to_string(
                "/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor",
            )
            .ok()
            .map(|s| s.trim().to_string()),
            memory_bandwidth: None,
        }
    }
}

/// The manifest's times (started, resumed, ended): RFC 3339 UTC, milliseconds.
pub fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

pub fn write_manifest(run_dir: &Path, manifest: &Manifest) -> Result<()> {
    let redacted = match manifest.redacted {
        true => Some(redacted_manifest(manifest)?),
        false => None,
    };
    write_atomic(&run_dir.join("manifest.json"), |f| {
        match &redacted {
            Some(value) => serde_json::to_writer_pretty(&mut *f, value)?,
            None => serde_json::to_writer_pretty(&mut *f, manifest)?,
        }
        Ok(())
    })
}

pub fn read_manifest(run_dir: &Path) -> Result<Manifest> {
    let path = run_dir.join("manifest.json");
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let manifest: Manifest = serde_json::from_str(&text)
        .with_context(|| format!("{} is not an edgebench manifest", path.display()))?;
    for unit in &manifest.units {
        super::check_unit_id(&unit.id).with_context(|| format!("{}", path.display()))?;
    }
    Ok(manifest)
}

impl Manifest {
    /// The redaction of a `--redact` run: its models, its recorded host and this one.
    pub fn redaction(&self) -> Redaction {
        let candidates = self.sweep.candidates.iter();
        let mut models: Vec<String> = candidates.map(|c| show(&c.path)).collect();
        models.extend(self.models.iter().map(|m| m.model_file.clone()));
        let models: Vec<&str> = models.iter().map(String::as_str).collect();
        Redaction::new(&models, self.host.hostname.as_deref().as_slice())
    }

    /// A redacted run resumed: `~/...` paths (models, suites) point into this
    /// user's home again; a bare file name is looked up where edgebench runs.
    pub fn restore_paths(&mut self) {
        let units = self.units.iter_mut().map(|u| &mut u.candidate);
        for candidate in self.sweep.candidates.iter_mut().chain(units) {
            candidate.path = expand_home(&candidate.path);
        }
        for model in &mut self.models {
            model.model_file = show(&expand_home(Path::new(&model.model_file)));
        }
        for suite in &mut self.sweep.suites {
            *suite = show(&expand_home(Path::new(suite.as_str())));
        }
    }
}

/// The manifest as written with `--redact`: every string redacted, and the
/// host name gone even where it is too common a word to replace in text.
pub fn redacted_manifest(manifest: &Manifest) -> Result<serde_json::Value> {
    let mut value = serde_json::to_value(manifest)?;
    manifest.redaction().json(&mut value);
    if manifest.host.hostname.is_some() {
        value["host"]["hostname"] = serde_json::Value::String(REDACTED.into());
    }
    Ok(value)
}
