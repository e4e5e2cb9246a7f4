//! A concurrency level's figures over its requests: TTFT and pooled
//! inter-token percentiles, and goodput, the share of requests that met the
//! latency targets (as vLLM's `bench serve --goodput` and AIPerf define it),
//! with its 95% Wilson interval.
use crate::results::{LevelFigures, Targets};
use crate::stats::{percentile, wilson_interval};

/// One request of a level, as the client measured it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RequestFigures {
    /// The reply came back whole.
    pub ok: bool,
    pub ttft_ms: Option<f64>,
    pub latency_50_ms: Option<f64>,
    /// Gaps between successive content chunks.
    pub gaps_ms: Vec<f64>,
}

/// Percentiles and goodput of one level (`itl_p50`/`itl_p95` are returned
/// beside, since they are the row's own columns).
pub fn level_figures(
    requests: &[RequestFigures],
    targets: &Targets,
) -> (LevelFigures, ItlPercentiles) {
    let ok = || requests.iter().filter(|r| r.ok);
    let ttfts: Vec<f64> = ok().filter_map(|r| r.ttft_ms).collect();
    let gaps: Vec<f64> = ok().flat_map(|r| r.gaps_ms.iter().copied()).collect();
    let of = |values: &[f64], p: f64| (!values.is_empty()).then(|| percentile(values, p));
    let judged = goodput(requests, targets.max_ttft_ms, targets.max_latency_50_ms);
    let figures = LevelFigures {
        ttft_p50_ms: of(&ttfts, 50.0),
        ttft_p95_ms: of(&ttfts, 95.0),
        ttft_p99_ms: of(&ttfts, 99.0),
        itl_p99_ms: of(&gaps, 99.0),
        goodput: judged.map(|g| g.rate),
        goodput_lo: judged.and_then(|g| g.interval).map(|i| i.0),
        goodput_hi: judged.and_then(|g| g.interval).map(|i| i.1),
        goodput_n: judged.map(|g| g.n),
        goodput_ttft_ms: targets.max_ttft_ms,
        goodput_latency_50_ms: targets.max_latency_50_ms,
    };
    let itl = ItlPercentiles {
        p50_ms: of(&gaps, 50.0),
        p95_ms: of(&gaps, 95.0),
    };
    (figures, itl)
}

#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ItlPercentiles {
    pub p50_ms: Option<f64>,
    pub p95_ms: Option<f64>,
}

/// `k` of `n` judged requests met the targets.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Goodput {
    pub k: u32,
    pub n: u32,
    pub rate: f64,
    pub interval: Option<(f64, f64)>,
}

/// A failed request counts against goodput. A reply too short to have the
/// figure a target needs (fewer than 50 tokens for the 50-token latency) is
/// not judged: it neither met nor missed that target. None without targets or
/// without a judged request.
pub fn goodput(
    requests: &[RequestFigures],
    max_ttft_ms: Option<f64>,
    max_latency_50_ms: Option<f64>,
) -> Option<Goodput> {
    if max_ttft_ms.is_none() && max_latency_50_ms.is_none() {
        return None;
    }
    let within = |target: Option<f64>, value: Option<f64>| match (target, value) {
        (None, _) => Some(true),
        (Some(_), None) => None,
        (Some(t), Some(v)) => Some(v <= t),
    };
    let (mut k, mut n) = (0u32, 0u32);
    for r in requests {
        let met = if !r.ok {
            Some(false)
        } else {
            match (
                within(max_ttft_ms, r.ttft_ms),
                within(max_latency_50_ms, r.latency_50_ms),
            ) {
                (Some(false), _) | (_, Some(false)) => Some(false),
                (Some(true), Some(true)) => Some(true),
                _ => None,
            }
        };
        if let Some(met) = met {
            n += 1;
            k += u32::from(met);
        }
    }
    (n > 0).then(|| Goodput {
        k,
        n,
        rate: f64::from(k) / f64::from(n),
        interval: wilson_interval(k as usize, n as usize),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(ok: bool, ttft: f64, latency_50: Option<f64>) -> RequestFigures {
        RequestFigures {
            ok,
            ttft_ms: ok.then_some(ttft),
            latency_50_ms: latency_50,
            gaps_ms: vec![10.0, 20.0],
        }
    }

    #[test]
    fn goodput_counts_requests_within_both_targets_and_failures_against() {
        let requests = [
            request(true, 100.0, Some(900.0)),  // met
            request(true, 600.0, Some(1000.0)), // TTFT missed
            request(true, 200.0, Some(1600.0)), // 50-token latency missed
            request(false, 0.0, None),          // failed: counts against
            request(true, 100.0, None),         // too short: not judged
        ];
        let g = goodput(&requests, Some(500.0), Some(1500.0)).unwrap();
        assert_eq!((g.k, g.n), (1, 4));
        assert_eq!(g.rate, 0.25);
        let (lo, hi) = g.interval.unwrap();
        assert_eq!(Some((lo, hi)), wilson_interval(1, 4));
        assert!(lo < 0.25 && hi > 0.25);
        // A short reply is judged when only the TTFT target is set.
        let g = goodput(&requests, Some(500.0), None).unwrap();
        assert_eq!((g.k, g.n), (3, 5));
        assert_eq!(goodput(&requests, None, None), None);
        assert_eq!(goodput(&[], Some(1.0), None), None);
    }

    #[test]
    fn level_figures_pool_the_gaps_of_successful_replies() {
        let mut requests: Vec<RequestFigures> = (1..=5)
            .map(|i| request(true, f64::from(i) * 100.0, Some(1000.0)))
            .collect();
        requests[4].gaps_ms = vec![30.0, 40.0];
        requests.push(RequestFigures {
            gaps_ms: vec![1e6],
            ..request(false, 0.0, None)
        });
        let (level, itl) = level_figures(&requests, &Targets::voice_assistant());
        assert_eq!(level.ttft_p50_ms, Some(300.0));
        assert_eq!(level.ttft_p95_ms, Some(480.0));
        // Gaps 10,20 x4 then 30,40: the failed reply's are not pooled.
        assert_eq!(itl.p50_ms, Some(20.0));
        assert_eq!(
            level.itl_p99_ms,
            Some(percentile(
                &[10.0, 20.0, 10.0, 20.0, 10.0, 20.0, 10.0, 20.0, 30.0, 40.0],
                99.0
            ))
        );
        assert_eq!(level.goodput, Some(5.0 / 6.0));
        assert_eq!(level.goodput_n, Some(6));
        assert_eq!(level.goodput_ttft_ms, Some(500.0));
        assert_eq!(level.goodput_latency_50_ms, Some(1500.0));
    }
}
