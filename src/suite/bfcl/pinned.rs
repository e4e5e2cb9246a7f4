//! The one BFCL release edgebench imports without `--any-version`: PyPI's
//! bfcl-eval 2026.3.23 (Apache-2.0). scripts/setup.sh fetches this wheel and checks
//! its sha256; the import checks every data file it reads against the table below,
//! so a damaged or other-version file is refused instead of scored.

pub const PACKAGE: &str = "bfcl-eval";
pub const VERSION: &str = "2026.3.23";
pub const WHEEL_SHA256: &str = "3bb6dfa5f0c68ad403c9ec50b00db2bb3b4cc9b38ab1ff33f48fe30d853d3a0a";
pub const LICENCE: &str = "Apache-2.0";
/// Where scripts/setup.sh unpacks the wheel (git-ignored).
pub const DEFAULT_DIR: &str = "tools/bfcl-eval-2026.3.23";

/// One single-turn category of the release.
pub struct PinnedCategory {
    pub name: &'static str,
    /// Entries in the release: the weight BFCL gives live categories.
    pub entries: usize,
    pub questions_sha256: &'static str,
    /// None: the category has no possible answers (irrelevance, relevance).
    pub answers_sha256: Option<&'static str>,
}

const fn category(
    name: &'static str,
    entries: usize,
    questions_sha256: &'static str,
    answers_sha256: Option<&'static str>,
) -> PinnedCategory {
    PinnedCategory {
        name,
        entries,
        questions_sha256,
        answers_sha256,
    }
}

/// In BFCL's order.
pub const CATEGORIES: [PinnedCategory; 11] = [
    category(
        "simple_python",
        400,
        "82dd63ba502eb2520c6b5d1d9a5c4b590e03ff261565175561f6228a367d1991",
        Some("90cd5bc653690ee8e459b5b3f3fc9458606f7f3fcbf795bb51b7dc581f8c86dc"),
    ),
    category(
        "multiple",
        200,
        "aef168155ebd74b7ac2401198b201343bc7d16d7a3d7e0d4e6d8ee82c6969b2a",
        Some("244e00ce9395df948bcafc7bee64e8f9c87ef70887587d83cae45b13699f3047"),
    ),
    category(
        "parallel",
        200,
        "19f51a82eff42e5d62541aa500115a056eb78f437c2ba1f10415fd7c8e5dda84",
        Some("8a6aa19c1adddc6a5a2f7e40f9dbf30cc7e95815e7b830c90589ab318229e0f0"),
    ),
    category(
        "parallel_multiple",
        200,
        "8863ea8433239f55c5f016154cf0830853c89f693c6ea270396a2fa121960579",
        Some("5ebf24f458c1f16300c05505d83d6f0a1b68b79be273a033febd0d4f840507e3"),
    ),
    category(
        "irrelevance",
        240,
        "2b6ed4c2e992cdcf5f1678a701851f944bef7550ee026ed1ddb89efed5be01a6",
        None,
    ),
    category(
        "live_simple",
        258,
        "1af2ac87dca47556db7b7e37e51e28b459a38b594e3c7b3c792b4903598ca0c4",
        Some("fec9cfa9744a936f9126981e85a2023da1e63e273eafebc81923a1162fad70ce"),
    ),
    category(
        "live_multiple",
        1053,
        "fd8ccfad4d911420d0e3341dbe2fff77d1d341da934248b9bb2bda24ab3a10c8",
        Some("97e90d59c5bd76c55a2920ce93e5566e9046307d3f558578f085f9d3a56c3084"),
    ),
    category(
        "live_parallel",
        16,
        "6c26e9fdc3350cf596e6d1ea9c179cbff834761bccf562f4141ed29a839ca421",
        Some("8a9f189ff0e832ebbbbdade1fd95a7dbcc67406e9177df3f0aad76f59ab00350"),
    ),
    category(
        "live_parallel_multiple",
        24,
        "21d4b9319c1faac431e22757b367ea28917fe467364c3a4b17f16ec06d4f6e79",
        Some("f5b5f360556c5feb51db46fb9f56ee4b304f4b45b161599bbb14161c98a2873f"),
    ),
    category(
        "live_irrelevance",
        884,
        "6559fda2beaceb609a2cd2e504c65b4a56cb448e1ef88fddfd199e163d163349",
        None,
    ),
    category(
        "live_relevance",
        16,
        "e03f9e241657a137cba48a89ee12f47bf3fcb7e4f6274263e9c699a0c974203a",
        None,
    ),
];

pub fn find(name: &str) -> Option<&'static PinnedCategory> {
    CATEGORIES.iter().find(|c| c.name == name)
}

pub fn names() -> Vec<&'static str> {
    CATEGORIES.iter().map(|c| c.name).collect()
}
