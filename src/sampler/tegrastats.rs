// PLACEHOLDER until the parser lands.
use super::Reading;
pub struct TegrastatsLine {
    pub timestamp: Option<String>,
    pub readings: Vec<Reading>,
    pub unparsed: Vec<String>,
}
#[derive(Debug)]
pub struct TegrastatsError(pub String);
pub fn parse_tegrastats_line(_line: &str) -> Result<TegrastatsLine, TegrastatsError> {
    Err(TegrastatsError("x".into()))
}
pub struct ImportReport {
    pub lines: usize,
    pub parsed: usize,
    pub failed: Vec<(usize, String)>,
}
pub fn parse_tegrastats_log(_text: &str) -> (Vec<TegrastatsLine>, ImportReport) {
    (
        vec![],
        ImportReport {
            lines: 0,
            parsed: 0,
            failed: vec![],
        },
    )
}
