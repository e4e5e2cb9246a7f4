//! Sample tegrastats lines, one per board family and release, and the checks
//! the tests share.

use std::collections::BTreeMap;

use super::{parse_tegrastats_line, TegrastatsLine};

// Sample lines in the formats tegrastats prints, one per board family.

/// Orin Nano 8GB, JetPack 5 (L4T r35): per-GPC GPU list with one GPC,
/// upper-case sensors, offline CV/GPU sensors at -256C, rails with mW.
pub(super) const ORIN_NANO_JP5: &str = "RAM 2448/7620MB (lfb 2810x4MB) SWAP 0/3810MB (cached 0MB) \
    CPU [1%@729,2%@729,0%@729,0%@729,off,off] EMC_FREQ 0%@2133 GR3D_FREQ 0%@[305] \
    VIC_FREQ 115 APE 200 CV0@-256C CPU@47.156C SOC2@43.843C SOC0@44.343C CV1@-256C \
    GPU@-256C tj@47.156C SOC1@43.812C CV2@-256C VDD_IN 4722mW/4722mW \
    VDD_CPU_GPU_CV 553mW/553mW VDD_SOC 1416mW/1416mW";

/// Orin NX 16GB, JetPack 6 (L4T r36) `--logfile`: timestamp prefix, two GPCs,
/// engines printed `off`, lower-case sensors.
pub(super) const ORIN_NX_JP6: &str = "11-24-2026 05:43:48 RAM 3012/15656MB (lfb 1796x4MB) \
    SWAP 0/7828MB (cached 0MB) CPU [3%@1984,0%@1984,1%@1984,0%@1984,2%@1984,0%@1984,0%@1984,4%@1984] \
    EMC_FREQ 1%@3199 GR3D_FREQ 0%@[305,305] NVENC off NVDEC off NVJPG off NVJPG1 off \
    VIC off OFA off NVDLA0 off NVDLA1 off PVA0_FREQ off APE 174 cpu@45.5C soc2@44.125C \
    soc0@44.812C gpu@43.968C tj@46.593C soc1@44.281C VDD_IN 7180mW/7180mW \
    VDD_CPU_GPU_CV 1232mW/1232mW VDD_SOC 2103mW/2103mW";

/// AGX Orin 64GB, JetPack 5: 12 cores, its own rails, two `NC` channels.
pub(super) const AGX_ORIN: &str = "RAM 5420/62841MB (lfb 9982x4MB) SWAP 0/31421MB (cached 0MB) \
    CPU [5%@2201,3%@2201,0%@2201,1%@2201,10%@2201,2%@2201,0%@2201,0%@2201,1%@2201,0%@2201,1%@2201,1%@2201] \
    EMC_FREQ 3%@3199 GR3D_FREQ 12%@[1300,1198] VIC_FREQ 729 APE 174 CV0@-256C CPU@49.5C \
    Tboard@38C SOC2@46.25C Tdiode@40.75C SOC0@47.125C CV1@-256C GPU@45.875C tj@49.5C \
    SOC1@46.375C CV2@-256C VDD_GPU_SOC 2386mW/2386mW VDD_CPU_CV 397mW/397mW \
    VIN_SYS_5V0 2623mW/2623mW NC 0mW/0mW VDDQ_VDD2_1V8AO 302mW/302mW NC 0mW/0mW";

/// Xavier NX, JetPack 4/5: loads without clocks, rails without unit.
pub(super) const XAVIER_NX: &str = "RAM 3456/7764MB (lfb 234x4MB) SWAP 0/3882MB (cached 0MB) \
    CPU [4%@1190,2%@1190,off,off,2%@1190,1%@1190] EMC_FREQ 0% GR3D_FREQ 0% AO@37C \
    GPU@36.5C PMIC@50C AUX@36.5C CPU@38C thermal@36.75C VDD_IN 3850/3850 \
    VDD_CPU_GPU_CV 489/489 VDD_SOC 1183/1183";

/// AGX Xavier, JetPack 4: MTS, clock-only engines, bare `GPU`/`CPU` rail names.
pub(super) const AGX_XAVIER: &str = "RAM 4017/31919MB (lfb 6425x4MB) SWAP 0/15959MB (cached 0MB) \
    CPU [7%@1190,3%@1190,0%@1190,0%@1190,off,off,off,off] EMC_FREQ 1%@1331 GR3D_FREQ 0%@318 \
    APE 150 MTS fg 0% bg 1% NVENC off NVDEC 1075 AO@39.5C GPU@40C Tdiode@42.25C \
    AUX@39.5C CPU@41.5C thermal@40.2C Tboard@38C GPU 155/155 CPU 311/327 SOC 1243/1243 \
    CV 0/0 VDDRQ 155/155 SYS5V 1813/1820";

/// Nano, JetPack 4: IRAM with a glued `(lfb`, POM_ rails.
pub(super) const NANO_JP4: &str = "RAM 1500/3964MB (lfb 1x2MB) SWAP 0/1982MB (cached 0MB) \
    IRAM 0/252kB(lfb 252kB) CPU [2%@102,1%@102,0%@102,0%@102] EMC_FREQ 0%@204 \
    GR3D_FREQ 0%@76 APE 25 PLL@22C CPU@24.5C PMIC@50C GPU@23C AO@29C thermal@23.75C \
    POM_5V_IN 1120/1120 POM_5V_GPU 0/0 POM_5V_CPU 123/123";

/// Thor, JetPack 7: three-value rails, clock-only engines (`@4266`), a clock
/// shared by all cores after the list, `cur/second` temperatures, negative rail.
pub(super) const THOR_JP7: &str = "09-15-2026 14:02:11 RAM 41233/125772MB (lfb 512x4MB) \
    SWAP 0/0MB (cached 0MB) CPU [12%,8%,off,3%,1%]@2601 EMC_FREQ @4266 \
    GR3D_FREQ 45%@[1575,1575,1575] NVENC0_FREQ @1692 VIC off cpu@55.5C/60.25C \
    tj@61.125C/61.125C gpu@57C/61.125C VDD_GPU -392mW/-392mW/0mW \
    VDD_IN 12000mW/11800mW/13000mW VIN_SYS_5V0 6050mW/6000mW/6100mW";

/// TX1, L4T r24-r28: lower-case `cpu`, one clock for all cores, old engine names,
/// and a section nobody parses.
pub(super) const TX1_OLD: &str = "RAM 3468/3983MB (lfb 48x4MB) SWAP 873/8192MB (cached 295MB) \
    cpu [17%,13%,29%,5%]@408 EMC 1%@408 APE 25 GR3D 3%@76 EDP limit 1734";

/// A Nano with three cores hotplugged out.
pub(super) const ONE_CORE_ONLINE: &str =
    "RAM 1024/3964MB (lfb 100x4MB) CPU [off,off,37%@1479,off] GR3D_FREQ 0%@76";

/// No SWAP, no GR3D, no temperatures: just fewer readings.
pub(super) const NO_SWAP_NO_GPU: &str = "RAM 1800/3964MB (lfb 50x4MB) \
    CPU [10%@1428,20%@1428,30%@1428,40%@1428] EMC_FREQ 5%@1600 POM_5V_IN 2500/2400";

pub(super) const ALL_SAMPLES: [&str; 11] = [
    ORIN_NANO_JP5,
    ORIN_NX_JP6,
    AGX_ORIN,
    XAVIER_NX,
    AGX_XAVIER,
    NANO_JP4,
    THOR_JP7,
    TX1_OLD,
    ONE_CORE_ONLINE,
    NO_SWAP_NO_GPU,
    "",
];

pub(super) fn parse(line: &str) -> TegrastatsLine {
    parse_tegrastats_line(line).unwrap_or_else(|e| panic!("{e}: {line}"))
}

/// Asserts the exact set of readings: every expected metric with its value,
/// nothing else, and no metric twice.
pub(super) fn assert_readings(parsed: &TegrastatsLine, expected: &[(&str, f64)]) {
    let mut got = BTreeMap::new();
    for r in &parsed.readings {
        let previous = got.insert(r.metric.as_str(), r.value);
        assert!(previous.is_none(), "duplicate metric {}", r.metric);
    }
    let want: BTreeMap<&str, f64> = expected.iter().copied().collect();
    assert_eq!(want.len(), expected.len(), "duplicate in expected list");
    assert_eq!(got, want);
}
