//! The sampling thread: every interval, asks each backend for readings and tags
//! them with what the measured process is doing. It never blocks the measurement.
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::{Backend, Phase, Reading, SampleRow, SamplerReport};

/// What is being measured right now; the runner updates it, the thread reads it.
#[derive(Debug, Clone)]
pub struct SamplerState {
    pub pid: Option<u32>,
    pub unit_id: Option<String>,
    pub candidate: Option<String>,
    pub test: Option<String>,
    pub phase: Phase,
}

/// Orders to the sampling thread.
enum Order {
    /// Take a reading now (a phase ends: its last state must be on record),
    /// then say so.
    Tick(mpsc::Sender<()>),
    Stop,
}

pub struct Sampler {
    state: Arc<Mutex<SamplerState>>,
    rows: Arc<Mutex<Vec<SampleRow>>>,
    /// The last tick's readings, for decisions made now (cool-down).
    latest: Arc<Mutex<Vec<Reading>>>,
    orders: mpsc::Sender<Order>,
    handle: JoinHandle<SamplerReport>,
}

impl Sampler {
    /// Starts sampling now; `run_start` is t_ms = 0.
    pub fn start(
        backends: Vec<Box<dyn Backend>>,
        interval: Duration,
        run_start: Instant,
    ) -> Sampler {
        let state = Arc::new(Mutex::new(SamplerState {
            pid: None,
            unit_id: None,
            candidate: None,
            test: None,
            phase: Phase::Idle,
        }));
        let rows = Arc::new(Mutex::new(Vec::new()));
        let latest = Arc::new(Mutex::new(Vec::new()));
        let (orders, received) = mpsc::channel();
        let shared = Shared {
            state: state.clone(),
            rows: rows.clone(),
            latest: latest.clone(),
        };
        let handle = std::thread::Builder::new()
            .name("edgebench-sampler".into())
            .spawn(move || sample_loop(backends, interval, run_start, shared, received))
            .expect("spawning the sampler thread");
        Sampler {
            state,
            rows,
            latest,
            orders,
            handle,
        }
    }

    /// The largest value among the last tick's readings that `pick` selects.
    pub fn latest_max(&self, pick: impl Fn(&str) -> bool) -> Option<f64> {
        self.latest
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .filter(|r| pick(&r.metric))
            .map(|r| r.value)
            .fold(None, |m: Option<f64>, v| Some(m.map_or(v, |m| m.max(v))))
    }

    /// The mean of the readings `pick` selects over the rows sampled after
    /// `since_ms` (t_ms; rows not yet drained), and the last row's t_ms: a
    /// soak window's conditions, and where the next window's start.
    pub fn mean_since(&self, since_ms: f64, pick: impl Fn(&str) -> bool) -> (Option<f64>, f64) {
        let rows = self.rows.lock().unwrap_or_else(|p| p.into_inner());
        let last = rows.last().map_or(since_ms, |r| r.t_ms);
        let values: Vec<f64> = (rows.iter().rev())
            .take_while(|r| r.t_ms > since_ms)
            .filter(|r| pick(&r.metric))
            .map(|r| r.value)
            .collect();
        let mean = (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64);
        (mean, last)
    }

    /// Samples right away, outside the regular ticks, and returns once done, so the
    /// reading carries the current phase (call it before changing the phase).
    pub fn tick_now(&self) {
        let (done, wait) = mpsc::channel();
        if self.orders.send(Order::Tick(done)).is_ok() {
            let _ = wait.recv_timeout(Duration::from_millis(500));
        }
    }

    pub fn update(&self, change: impl FnOnce(&mut SamplerState)) {
        change(&mut self.state.lock().unwrap_or_else(|p| p.into_inner()));
    }

    /// Takes the rows sampled so far (the runner saves them per work unit).
    pub fn drain(&self) -> Vec<SampleRow> {
        std::mem::take(&mut *self.rows.lock().unwrap_or_else(|p| p.into_inner()))
    }

    pub fn stop(self) -> (SamplerReport, Vec<SampleRow>) {
        let _ = self.orders.send(Order::Stop);
        let report = self.handle.join().unwrap_or_default();
        let rows = std::mem::take(&mut *self.rows.lock().unwrap_or_else(|p| p.into_inner()));
        (report, rows)
    }
}

struct Shared {
    state: Arc<Mutex<SamplerState>>,
    rows: Arc<Mutex<Vec<SampleRow>>>,
    latest: Arc<Mutex<Vec<Reading>>>,
}

fn sample_loop(
    mut backends: Vec<Box<dyn Backend>>,
    interval: Duration,
    run_start: Instant,
    shared: Shared,
    orders: mpsc::Receiver<Order>,
) -> SamplerReport {
    let Shared {
        state,
        rows,
        latest,
    } = shared;
    let started = Instant::now();
    let mut readings: Vec<(usize, Reading)> = Vec::new();
    let mut buffer = Vec::new();
    let mut ticks = 0;
    let mut next = Instant::now();
    let mut on_schedule = true;
    let mut ack: Option<mpsc::Sender<()>> = None;
    loop {
        let now = state
            .lock()
            .map(|s| s.clone())
            .unwrap_or_else(|p| p.into_inner().clone());
        let t_ms = run_start.elapsed().as_secs_f64() * 1e3;
        let unix_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64);
        readings.clear();
        for (i, backend) in backends.iter_mut().enumerate() {
            buffer.clear();
            backend.sample(now.pid, &mut buffer);
            readings.extend(buffer.drain(..).map(|r| (i, r)));
        }
        let throttled = readings
            .iter()
            .any(|(_, r)| r.metric == "throttled" && r.value > 0.0);
        *latest.lock().unwrap_or_else(|p| p.into_inner()) =
            readings.iter().map(|(_, r)| r.clone()).collect();
        {
            let mut out = rows.lock().unwrap_or_else(|p| p.into_inner());
            out.extend(readings.drain(..).map(|(i, r)| SampleRow {
                t_ms,
                unix_ms,
                unit_id: now.unit_id.clone(),
                candidate: now.candidate.clone(),
                test: now.test.clone(),
                phase: now.phase,
                backend: backends[i].name().to_string(),
                metric: r.metric,
                value: r.value,
                throttled,
            }));
        }
        ticks += 1;
        if let Some(done) = ack.take() {
            let _ = done.send(());
        }
        // Fixed-rate ticks; a slow tick is not made up for with a burst. A tick on
        // order comes between scheduled ones and does not move them.
        if on_schedule {
            next += interval;
            if next < Instant::now() {
                next = Instant::now();
            }
        }
        match orders.recv_timeout(next.saturating_duration_since(Instant::now())) {
            Err(RecvTimeoutError::Timeout) => on_schedule = true,
            Ok(Order::Tick(done)) => {
                on_schedule = false;
                ack = Some(done);
            }
            Ok(Order::Stop) | Err(RecvTimeoutError::Disconnected) => {
                return report(&backends, interval, started, ticks)
            }
        }
    }
}

fn report(
    backends: &[Box<dyn Backend>],
    interval: Duration,
    started: Instant,
    ticks: u64,
) -> SamplerReport {
    let wall_s = started.elapsed().as_secs_f64();
    let cpu_s = thread_cpu_seconds();
    SamplerReport {
        interval_ms: interval.as_millis() as u64,
        ticks,
        wall_s,
        cpu_s,
        cpu_share_of_one_core: if wall_s > 0.0 { cpu_s / wall_s } else { 0.0 },
        backends: backends.iter().map(|b| b.name().to_string()).collect(),
    }
}

/// CPU time (user + system) of the calling thread.
fn thread_cpu_seconds() -> f64 {
    #[cfg(target_os = "linux")]
    unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        if libc::getrusage(libc::RUSAGE_THREAD, &mut usage) == 0 {
            let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
            return secs(usage.ru_utime) + secs(usage.ru_stime);
        }
    }
    0.0
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Counter(f64);
    impl Backend for Counter {
        fn name(&self) -> &'static str {
            "counter"
        }
        fn sample(&mut self, _pid: Option<u32>, out: &mut Vec<Reading>) {
            self.0 += 1.0;
            out.push(Reading::new("count", self.0));
            out.push(Reading::new(
                "throttled",
                if self.0 >= 3.0 { 1.0 } else { 0.0 },
            ));
        }
    }

    #[test]
    fn ticks_are_tagged_with_the_current_state() {
        let sampler = Sampler::start(
            vec![Box::new(Counter(0.0))],
            Duration::from_millis(20),
            Instant::now(),
        );
        std::thread::sleep(Duration::from_millis(70));
        sampler.update(|s| {
            s.unit_id = Some("c0-k0".into());
            s.test = Some("tg8".into());
            s.phase = Phase::Tg;
        });
        std::thread::sleep(Duration::from_millis(70));
        let (report, rows) = sampler.stop();
        let counts: Vec<&SampleRow> = rows.iter().filter(|r| r.metric == "count").collect();
        assert!(counts.len() >= 5, "{}", counts.len());
        assert_eq!(counts[0].phase, Phase::Idle);
        assert_eq!(counts[0].unit_id, None);
        let last = counts.last().unwrap();
        assert_eq!((last.phase, last.test.as_deref()), (Phase::Tg, Some("tg8")));
        assert!(counts
            .windows(2)
            .all(|w| w[1].t_ms >= w[0].t_ms && w[1].value == w[0].value + 1.0));
        assert!(!counts[0].throttled && last.throttled);
        assert_eq!(report.ticks as usize, counts.len());
        assert!(report.wall_s > 0.1 && report.cpu_share_of_one_core < 0.5);
    }
}
