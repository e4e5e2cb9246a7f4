//! Device profiles: how much memory a model may use on a device, whether the GPU
//! shares it with the CPU, and the memory bandwidth that caps generation speed.
//! Built in for common edge devices, extendable by a TOML file (docs/report.md).
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::UsageError;
use crate::results::manifest::HostInfo;

const GIB: f64 = (1u64 << 30) as f64;

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Memory of the device (GPU memory for a discrete GPU), GiB.
    pub memory_gib: f64,
    /// What a model may use: the memory less what the OS and desktop keep, GiB.
    /// Defaults to `memory_gib`.
    #[serde(default)]
    pub budget_gib: Option<f64>,
    /// GPU memory is system RAM (Jetson, Raspberry Pi, Apple silicon).
    #[serde(default)]
    pub unified: bool,
    /// Peak memory bandwidth, GB/s (10^9 bytes); None: unknown, no roofline.
    #[serde(default)]
    pub bandwidth_gbs: Option<f64>,
}

impl Profile {
    pub fn budget_bytes(&self) -> f64 {
        self.budget_gib.unwrap_or(self.memory_gib) * GIB
    }

    /// Bytes per second, when known.
    pub fn bandwidth_bytes_per_s(&self) -> Option<f64> {
        self.bandwidth_gbs.map(|b| b * 1e9)
    }

    /// The machine a run was measured on (or this one): its RAM, and the memory
    /// bandwidth the run measured (none without it: give it in a profiles file).
    pub fn host(host: &HostInfo, unified: bool) -> Profile {
        let memory_gib = host.ram_total_bytes as f64 / GIB;
        let measured = host.memory_bandwidth.as_ref().map_or(String::new(), |b| {
            format!(
                "; bandwidth measured: {}, {:.1} GB/s median",
                b.method, b.median_gbs
            )
        });
        Profile {
            name: "host".into(),
            description: format!(
                "{} ({}{measured})",
                host.hostname.as_deref().unwrap_or("this machine"),
                host.cpu_model
            ),
            memory_gib,
            budget_gib: None,
            unified,
            bandwidth_gbs: host.memory_bandwidth.as_ref().map(|b| b.gbs),
        }
    }
}

/// (name, description, memory GiB, budget GiB, unified, bandwidth GB/s).
/// Budgets leave the OS about 1 GiB on 8 GB boards and 1.5 GiB on larger ones
/// (L4T without a desktop); a discrete GPU's budget is its VRAM less ~0.5 GiB
/// for the driver's context.
/// Bandwidth sources (published peak figures):
/// - Raspberry Pi 5: LPDDR4X-4267, 32-bit bus: 4267 MT/s x 4 B = 17.1 GB/s
///   (raspberrypi.com/documentation/computers/processors.html, BCM2712).
/// - Jetson Orin Nano 8GB: 68 GB/s; Orin NX 16GB: 102.4 GB/s; AGX Orin 32GB and
///   64GB: 204.8 GB/s (NVIDIA Jetson Orin module data sheets / developer.nvidia.com
///   embedded/jetson-modules).
/// - Jetson Thor (T5000): 128 GB LPDDR5X, 273 GB/s (NVIDIA Jetson Thor product page).
/// - GeForce RTX 3090: 24 GB GDDR6X, 936 GB/s (NVIDIA GeForce RTX 3090 specifications).
const BUILT_IN: [(&str, &str, f64, f64, bool, f64); 7] = [
    (
        "raspberry-pi-5-8gb",
        "Raspberry Pi 5, 8 GB LPDDR4X-4267",
        8.0,
        7.0,
        true,
        17.1,
    ),
    (
        "jetson-orin-nano-8gb",
        "Jetson Orin Nano 8GB (unified LPDDR5)",
        8.0,
        7.0,
        true,
        68.0,
    ),
    (
        "jetson-orin-nx-16gb",
        "Jetson Orin NX 16GB (unified LPDDR5)",
        16.0,
        14.5,
        true,
        102.4,
    ),
    (
        "jetson-agx-orin-32gb",
        "Jetson AGX Orin 32GB (unified LPDDR5)",
        32.0,
        30.5,
        true,
        204.8,
    ),
    (
        "jetson-agx-orin-64gb",
        "Jetson AGX Orin 64GB (unified LPDDR5)",
        64.0,
        62.5,
        true,
        204.8,
    ),
    (
        "jetson-thor",
        "Jetson AGX Thor T5000, 128 GB (unified LPDDR5X)",
        128.0,
        126.5,
        true,
        273.0,
    ),
    (
        "rtx-3090-24gb",
        "GeForce RTX 3090, 24 GB GDDR6X (discrete)",
        24.0,
        23.5,
        false,
        936.0,
    ),
];

pub fn built_in() -> Vec<Profile> {
    BUILT_IN
        .iter()
        .map(
            |&(name, description, memory_gib, budget_gib, unified, bandwidth)| Profile {
                name: name.into(),
                description: description.into(),
                memory_gib,
                budget_gib: Some(budget_gib),
                unified,
                bandwidth_gbs: Some(bandwidth),
            },
        )
        .collect()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProfilesFile {
    #[serde(default)]
    profile: Vec<Profile>,
}

/// `--profiles FILE`, else `$EDGEBENCH_PROFILES`, else `~/.config/edgebench/profiles.toml`
/// when it exists.
pub fn default_profiles_file() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("EDGEBENCH_PROFILES") {
        return Some(PathBuf::from(p));
    }
    let home = std::env::var_os("HOME")?;
    let path = Path::new(&home).join(".config/edgebench/profiles.toml");
    path.is_file().then_some(path)
}

/// Reads a profiles file: `[[profile]]` tables; a name already known replaces it.
pub fn load_file(path: &Path) -> Result<Vec<Profile>, UsageError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| UsageError::new(format!("{}: cannot read: {e}", path.display())))?;
    let file: ProfilesFile = toml::from_str(&text).map_err(|e| {
        let message = e.message().to_string();
        let line = e
            .span()
            .map(|s| text[..s.start].matches('\n').count() + 1)
            .unwrap_or(0);
        UsageError::new(format!("{}:{line}: {message}", path.display()))
    })?;
    for p in &file.profile {
        let budget = p.budget_gib.unwrap_or(p.memory_gib);
        if !(p.memory_gib > 0.0 && budget > 0.0 && budget <= p.memory_gib) {
            return Err(UsageError::new(format!(
                "{}: profile {}: memory_gib must be > 0 and budget_gib in (0, memory_gib]",
                path.display(),
                p.name
            )));
        }
        if p.bandwidth_gbs.is_some_and(|b| b <= 0.0) {
            return Err(UsageError::new(format!(
                "{}: profile {}: bandwidth_gbs must be > 0",
                path.display(),
                p.name
            )));
        }
    }
    Ok(file.profile)
}

/// Every known profile: built in, then this machine as `host`, then the file's
/// (which replace same-named ones).
pub fn all(file: Option<&Path>, host: Profile) -> Result<Vec<Profile>, UsageError> {
    let mut profiles = built_in();
    profiles.push(host);
    let file = file.map(Path::to_path_buf).or_else(default_profiles_file);
    if let Some(path) = file {
        for p in load_file(&path)? {
            profiles.retain(|q| q.name != p.name);
            profiles.push(p);
        }
    }
    Ok(profiles)
}

/// The profile called `name`; a one-line error listing the known names otherwise.
pub fn find(profiles: &[Profile], name: &str) -> Result<Profile, UsageError> {
    profiles
        .iter()
        .find(|p| p.name == name)
        .cloned()
        .ok_or_else(|| {
            let names: Vec<&str> = profiles.iter().map(|p| p.name.as_str()).collect();
            UsageError::new(format!(
                "--profile {name}: unknown (known: {}; add one with --profiles FILE)",
                names.join(", ")
            ))
        })
}

/// The built-in profile of a Jetson module, from its device-tree model name
/// ("NVIDIA Jetson Orin NX Engineering Reference Developer Kit") and its RAM;
/// None for a board without one (Xavier, an unknown carrier's name).
pub fn jetson_profile_name(model: &str, ram_bytes: u64) -> Option<&'static str> {
    let gib = ram_bytes as f64 / (1u64 << 30) as f64;
    let model = model.to_ascii_lowercase();
    // The module's RAM less the carveouts: a 16 GB module reports ~15.3 GiB.
    match () {
        _ if model.contains("thor") => Some("jetson-thor"),
        _ if model.contains("agx orin") && gib > 40.0 => Some("jetson-agx-orin-64gb"),
        _ if model.contains("agx orin") => Some("jetson-agx-orin-32gb"),
        _ if model.contains("orin nx") && gib > 10.0 => Some("jetson-orin-nx-16gb"),
        _ if model.contains("orin nano") && gib > 6.0 => Some("jetson-orin-nano-8gb"),
        _ => None,
    }
}

/// This machine, read now.
pub fn this_host() -> Profile {
    let unified = Path::new("/etc/nv_tegra_release").exists();
    Profile::host(&HostInfo::read(), unified)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_profiles_carry_the_published_bandwidths() {
        let p = built_in();
        let nx = find(&p, "jetson-orin-nx-16gb").unwrap();
        assert_eq!(nx.bandwidth_gbs, Some(102.4));
        assert!(nx.unified);
        let gpu = find(&p, "rtx-3090-24gb").unwrap();
        assert!(!gpu.unified);
        assert_eq!(gpu.bandwidth_bytes_per_s(), Some(936e9));
        assert!(find(&p, "nope")
            .unwrap_err()
            .to_string()
            .contains("raspberry-pi-5-8gb"));
    }

    #[test]
    fn jetson_modules_map_to_their_profiles_by_model_name_and_ram() {
        let gib = |g: f64| (g * (1u64 << 30) as f64) as u64;
        let nx = "NVIDIA Jetson Orin NX Engineering Reference Developer Kit";
        assert_eq!(
            jetson_profile_name(nx, gib(15.3)),
            Some("jetson-orin-nx-16gb")
        );
        assert_eq!(
            jetson_profile_name(nx, gib(7.4)),
            None,
            "no 8 GB NX profile"
        );
        let nano = "NVIDIA Jetson Orin Nano Developer Kit";
        assert_eq!(
            jetson_profile_name(nano, gib(7.4)),
            Some("jetson-orin-nano-8gb")
        );
        let agx = "Jetson AGX Orin Developer Kit";
        assert_eq!(
            jetson_profile_name(agx, gib(61.0)),
            Some("jetson-agx-orin-64gb")
        );
        assert_eq!(
            jetson_profile_name(agx, gib(30.0)),
            Some("jetson-agx-orin-32gb")
        );
        assert_eq!(jetson_profile_name("Jetson Xavier NX", gib(7.6)), None);
        for name in ["jetson-orin-nx-16gb", "jetson-thor", "jetson-agx-orin-64gb"] {
            assert!(find(&built_in(), name).is_ok(), "{name} is built in");
        }
    }

    #[test]
    fn a_profiles_file_adds_and_replaces() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.toml");
        std::fs::write(
            &path,
            "[[profile]]\nname = \"my-board\"\nmemory_gib = 4\nunified = true\nbandwidth_gbs = 25.6\n\n[[profile]]\nname = \"rtx-3090-24gb\"\nmemory_gib = 24\nbudget_gib = 20\nbandwidth_gbs = 900\n",
        )
        .unwrap();
        let host = Profile {
            name: "host".into(),
            description: String::new(),
            memory_gib: 1.0,
            budget_gib: None,
            unified: false,
            bandwidth_gbs: None,
        };
        let all = all(Some(&path), host).unwrap();
        let board = find(&all, "my-board").unwrap();
        assert_eq!(board.budget_bytes(), 4.0 * GIB);
        assert_eq!(find(&all, "rtx-3090-24gb").unwrap().budget_gib, Some(20.0));
        std::fs::write(&path, "[[profile]]\nname = \"x\"\nmemory = 4\n").unwrap();
        let e = load_file(&path).unwrap_err().to_string();
        assert!(e.contains("p.toml:") && e.contains("memory"), "{e}");
    }
}
