//! What each soak window ran under, from the samples taken while it ran: the
//! hottest sensor at its end, its mean CPU and GPU clocks and other
//! processes' CPU use. The soak's steady-state slices (scoring) lay a change
//! in rate beside these.
use crate::results::StabilityRow;
use crate::sampler::{is_cpu_clock, is_gpu_clock, Sampler};

#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct WindowConditions {
    pub temp_c: Option<f64>,
    pub cpu_mhz: Option<f64>,
    pub gpu_mhz: Option<f64>,
    pub other_cpu_pct: Option<f64>,
}

/// The windows seen so far, by step, and where the next one's samples start.
#[derive(Debug, Default)]
pub(super) struct SoakConditions {
    since_ms: f64,
    windows: Vec<(u32, WindowConditions)>,
}

impl SoakConditions {
    /// The soak starts: its first window's samples are those from now on.
    pub(super) fn started(&mut self, sampler: &Sampler) {
        self.since_ms = sampler.mean_since(f64::INFINITY, |_| false).1;
    }

    /// A window ended: the samples since the previous one are its.
    pub(super) fn window_ended(&mut self, step: u32, sampler: &Sampler) {
        let since = self.since_ms;
        let (cpu_mhz, last) = sampler.mean_since(since, is_cpu_clock);
        let conditions = WindowConditions {
            temp_c: sampler.latest_max(|m| m.starts_with("temp_")),
            cpu_mhz,
            gpu_mhz: sampler.mean_since(since, is_gpu_clock).0,
            other_cpu_pct: sampler.mean_since(since, |m| m == "other_cpu_pct").0,
        };
        self.windows.push((step, conditions));
        self.since_ms = last;
    }

    /// The conditions beside each soak row.
    pub(super) fn label(&self, row: &mut StabilityRow) {
        let at_step = self.windows.iter().find(|(step, _)| *step == row.step);
        let c = at_step.map(|(_, c)| c.clone()).unwrap_or_default();
        row.temp_c = c.temp_c;
        row.cpu_mhz = c.cpu_mhz;
        row.gpu_mhz = c.gpu_mhz;
        row.other_cpu_pct = c.other_cpu_pct;
    }
}
