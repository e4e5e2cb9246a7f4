//! What a test measures, read from its name (`pp512`, `tg128`, `e2e:hello`,
//! `quality:basic`, `soak`...): the one place test names are parsed.
use super::Phase;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestKind {
    /// ppN: N random prompt tokens in one batch (engine-only, as llama-bench).
    Prompt(u32),
    /// tgN: N tokens generated one at a time (engine-only, as llama-bench).
    Generation(u32),
    /// ppN+tgM: a prompt then a generation, timed as one (llama-bench `-pg`).
    PromptThenGeneration(u32, u32),
    /// e2e:<prompt>: a real prompt through the chat template (the user path).
    EndToEnd,
    /// concN (a level's aggregate) and concN:<prompt> (one of its replies):
    /// N user-path requests at once to a server.
    Concurrent(u32),
    /// quality:<suite>: a quality suite's answers.
    Quality,
    Soak,
    MultiTurn,
    MemoryCeiling,
    Fidelity,
    /// The model load: a unit that failed before its first test.
    Load,
}

/// Names that are the whole test name, or its prefix before `:`.
const NAMED: [(&str, TestKind); 7] = [
    ("e2e", TestKind::EndToEnd),
    ("quality", TestKind::Quality),
    ("soak", TestKind::Soak),
    ("multi_turn", TestKind::MultiTurn),
    ("memory_ceiling", TestKind::MemoryCeiling),
    ("fidelity", TestKind::Fidelity),
    ("load", TestKind::Load),
];

impl TestKind {
    /// The kind of a test name (None: not a name edgebench writes).
    pub fn of(test: &str) -> Option<TestKind> {
        let head = test.split_once(':').map_or(test, |(head, _)| head);
        let head = head.split_once('@').map_or(head, |(head, _)| head);
        let tokens = |t: &str, prefix: &str| t.strip_prefix(prefix)?.parse::<u32>().ok();
        if let Some((p, g)) = head.split_once('+') {
            return Some(TestKind::PromptThenGeneration(
                tokens(p, "pp")?,
                tokens(g, "tg")?,
            ));
        }
        if let Some(n) = tokens(head, "pp") {
            return Some(TestKind::Prompt(n));
        }
        if let Some(n) = tokens(head, "tg") {
            return Some(TestKind::Generation(n));
        }
        if let Some(n) = head.strip_prefix("conc").and_then(|n| n.parse().ok()) {
            return Some(TestKind::Concurrent(n));
        }
        NAMED
            .iter()
            .find(|(name, _)| *name == head)
            .map(|&(_, kind)| kind)
    }

    /// The test's name (ppN, tgN, soak...) or, for e2e and quality, its prefix.
    pub fn name(self) -> String {
        match self {
            TestKind::Prompt(n) => format!("pp{n}"),
            TestKind::Generation(n) => format!("tg{n}"),
            TestKind::PromptThenGeneration(p, g) => format!("pp{p}+tg{g}"),
            TestKind::Concurrent(n) => format!("conc{n}"),
            kind => {
                let named = NAMED.iter().find(|(_, k)| *k == kind);
                named.map_or_else(String::new, |(name, _)| name.to_string())
            }
        }
    }

    /// A random-token test as llama-bench runs it (ppN, tgN).
    pub fn is_engine_bench(self) -> bool {
        matches!(
            self,
            TestKind::Prompt(_) | TestKind::Generation(_) | TestKind::PromptThenGeneration(..)
        )
    }

    /// What the samplers record the process as doing while this test runs.
    pub fn phase(self) -> Phase {
        match self {
            TestKind::Prompt(_) => Phase::Pp,
            TestKind::Generation(_) => Phase::Tg,
            // Mostly generation time, like the user path.
            TestKind::PromptThenGeneration(..) => Phase::E2e,
            TestKind::EndToEnd | TestKind::Concurrent(_) => Phase::E2e,
            TestKind::Quality => Phase::Quality,
            TestKind::Soak | TestKind::MultiTurn | TestKind::MemoryCeiling | TestKind::Fidelity => {
                Phase::Stability
            }
            TestKind::Load => Phase::Load,
        }
    }
}

/// `name@dN` (llama-bench's "tg128 @ d2048") when the test ran on top of N
/// tokens already in the cache; the name alone at depth 0.
pub fn with_depth(name: &str, depth: u32) -> String {
    match depth {
        0 => name.to_string(),
        d => format!("{name}@d{d}"),
    }
}

/// The depth a test name carries (`tg128@d2048`, `e2e@d512:cold`): 0 if none.
pub fn test_depth(test: &str) -> u32 {
    let head = test.split_once(':').map_or(test, |(head, _)| head);
    head.split_once("@d")
        .and_then(|(_, d)| d.parse().ok())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_edgebench_writes_has_one_kind() {
        let cases = [
            ("pp512", Some(TestKind::Prompt(512))),
            ("tg128", Some(TestKind::Generation(128))),
            ("tg128@d2048", Some(TestKind::Generation(128))),
            (
                "pp512+tg128",
                Some(TestKind::PromptThenGeneration(512, 128)),
            ),
            (
                "pp512+tg128@d512",
                Some(TestKind::PromptThenGeneration(512, 128)),
            ),
            ("e2e@d512:cold", Some(TestKind::EndToEnd)),
            ("pp512+", None),
            ("pp512+pp5", None),
            ("e2e:hello", Some(TestKind::EndToEnd)),
            ("conc4", Some(TestKind::Concurrent(4))),
            ("conc4:hello", Some(TestKind::Concurrent(4))),
            ("quality:basic", Some(TestKind::Quality)),
            ("soak", Some(TestKind::Soak)),
            ("multi_turn", Some(TestKind::MultiTurn)),
            ("memory_ceiling", Some(TestKind::MemoryCeiling)),
            ("fidelity", Some(TestKind::Fidelity)),
            ("load", Some(TestKind::Load)),
            ("ppx", None),
            ("tg", None),
            ("soaked", None),
            ("", None),
        ];
        for (name, kind) in cases {
            assert_eq!(TestKind::of(name), kind, "{name}");
        }
    }

    #[test]
    fn names_round_trip_and_stability_tests_are_not_quality() {
        for kind in [
            TestKind::Prompt(64),
            TestKind::Generation(16),
            TestKind::PromptThenGeneration(512, 128),
            TestKind::Soak,
            TestKind::Load,
        ] {
            assert_eq!(TestKind::of(&kind.name()), Some(kind));
        }
        assert_eq!(TestKind::Soak.phase(), Phase::Stability);
        assert_eq!(TestKind::Fidelity.phase(), Phase::Stability);
        assert_eq!(TestKind::Quality.phase(), Phase::Quality);
    }
}

#[cfg(test)]
mod depth_tests {
    use super::*;

    #[test]
    fn depth_is_named_as_llama_bench_and_read_back() {
        assert_eq!(with_depth("tg128", 0), "tg128");
        assert_eq!(with_depth("tg128", 2048), "tg128@d2048");
        assert_eq!(test_depth("tg128@d2048"), 2048);
        assert_eq!(test_depth("pp512+tg128@d512"), 512);
        assert_eq!(test_depth("e2e@d512:cold"), 512);
        assert_eq!(
            test_depth("e2e:what@d9"),
            0,
            "a prompt's name is not a depth"
        );
        assert_eq!(test_depth("tg128"), 0);
    }
}
