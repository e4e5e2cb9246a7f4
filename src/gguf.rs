// TEMPORARY STUB: replaced by the real reader.
use std::path::{Path, PathBuf};
pub struct GgufInfo {
    pub path: PathBuf,
    pub version: u32,
    pub file_size: u64,
    pub architecture: Option<String>,
    pub model_name: Option<String>,
    pub file_type: Option<u32>,
    pub quant: String,
    pub n_params: u64,
    pub tensor_bytes: u64,
    pub n_tensors: u64,
    pub context_length: Option<u64>,
    pub block_count: Option<u64>,
    pub embedding_length: Option<u64>,
    pub head_count: Option<u64>,
    pub head_count_kv: Option<u64>,
    pub key_length: Option<u64>,
    pub value_length: Option<u64>,
    pub has_chat_template: bool,
    pub data_offset: u64,
}
impl GgufInfo {
    pub fn kv_cache_bytes(&self, _n_ctx: u64) -> Option<u64> {
        None
    }
}
#[derive(Debug, thiserror::Error)]
pub enum GgufError {
    #[error("stub")]
    Stub,
}
pub fn read_gguf_info(path: &Path) -> Result<GgufInfo, GgufError> {
    let file_size = std::fs::metadata(path).map_err(|_| GgufError::Stub)?.len();
    Ok(GgufInfo {
        path: path.into(),
        version: 3,
        file_size,
        architecture: Some("stub".into()),
        model_name: None,
        file_type: None,
        quant: "stub".into(),
        n_params: 0,
        tensor_bytes: 0,
        n_tensors: 0,
        context_length: None,
        block_count: None,
        embedding_length: None,
        head_count: None,
        head_count_kv: None,
        key_length: None,
        value_length: None,
        has_chat_template: false,
        data_offset: 0,
    })
}
