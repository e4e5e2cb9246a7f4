//! Reads the header of a GGUF model file (metadata and tensor infos) without
//! loading any weights, so edgebench can describe a model, estimate its memory
//! needs and reject a broken download before llama.cpp spends minutes on it.
//!
//! Format reference: ggml's `gguf.h` / `gguf.cpp`. Only little-endian GGUF v2
//! and v3 are read; they share one layout (v3 only added big-endian files).
//! Every count and length is checked against the bytes left in the file before
//! it is used, so corrupt input yields an error, never a panic or a huge buffer.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use sha2::Digest as _;

const MAGIC: &[u8; 4] = b"GGUF";
const DEFAULT_ALIGNMENT: u64 = 32;
/// The GGUF spec caps keys at 65535 bytes; tensor names are shorter still (ggml: 63).
const MAX_NAME_LEN: u64 = 65_535;
/// Strings kept in memory (architecture, name); anything longer is garbage.
const MAX_KEPT_STRING_LEN: u64 = 65_536;
const MAX_DIMS: u32 = 4;
/// Real headers are a few MB (mostly the vocabulary): a field claiming more than
/// this, beyond the end of the file, is garbage rather than a cut-short download.
const PLAUSIBLE_HEADER_BYTES: u64 = 1 << 32;
/// Smallest possible encodings, used to reject absurd counts before looping:
/// key-value = key length + 1-byte key + type + 1-byte value;
/// tensor info = name length + n_dims + type + offset.
const MIN_KV_BYTES: u64 = 8 + 1 + 4 + 1;
const MIN_TENSOR_INFO_BYTES: u64 = 8 + 4 + 4 + 8;
/// llama.cpp ORs this into general.file_type when it had to guess the type.
const FTYPE_GUESSED: u32 = 1024;

const KEY_ARCH: &str = "general.architecture";
const KEY_NAME: &str = "general.name";
const KEY_FILE_TYPE: &str = "general.file_type";
const KEY_ALIGNMENT: &str = "general.alignment";
const KEY_CHAT_TEMPLATE: &str = "tokenizer.chat_template";
/// `{arch}.` keys we report; integer values of keys ending this way are kept.
const ARCH_SUFFIXES: [&str; 7] = [
    "context_length",
    "block_count",
    "embedding_length",
    "attention.head_count",
    "attention.head_count_kv",
    "attention.key_length",
    "attention.value_length",
];

// GGUF metadata value types (enum gguf_type).
const T_U8: u32 = 0;
const T_I8: u32 = 1;
const T_U16: u32 = 2;
const T_I16: u32 = 3;
const T_U32: u32 = 4;
const T_I32: u32 = 5;
const T_F32: u32 = 6;
const T_BOOL: u32 = 7;
const T_STRING: u32 = 8;
const T_ARRAY: u32 = 9;
const T_U64: u32 = 10;
const T_I64: u32 = 11;
const T_F64: u32 = 12;

/// What edgebench needs to know about a model, read from its GGUF header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GgufInfo {
    pub path: PathBuf,
    pub version: u32,
    pub file_size: u64,
    pub architecture: Option<String>,
    pub model_name: Option<String>,
    pub file_type: Option<u32>,
    /// llama.cpp's file type name without "MOSTLY_" (e.g. "Q4_K_M"), else the
    /// tensor type holding the most bytes (e.g. "Q8_0"), else "unknown".
    pub quant: String,
    pub n_params: u64,
    pub tensor_bytes: u64,
    pub n_tensors: u64,
    pub context_length: Option<u64>,
    pub block_count: Option<u64>,
    pub embedding_length: Option<u64>,
    pub head_count: Option<u64>,
    /// Per-layer arrays (some models vary it by layer) are reduced to their max.
    pub head_count_kv: Option<u64>,
    pub key_length: Option<u64>,
    pub value_length: Option<u64>,
    pub has_chat_template: bool,
    pub data_offset: u64,
}

impl GgufInfo {
    /// KV cache bytes for `n_ctx` tokens with f16 K and V:
    /// n_layer * n_ctx * n_head_kv * (key_length + value_length) * 2 bytes, which is
    /// 2 * n_layer * n_ctx * n_head_kv * head_dim * 2 when K and V share head_dim.
    /// head_dim defaults to embedding_length / head_count, and head_count_kv to
    /// head_count, as in llama.cpp. None when the needed keys are missing.
    pub fn kv_cache_bytes(&self, n_ctx: u64) -> Option<u64> {
        let n_layer = self.block_count?;
        let n_head = self.head_count.filter(|&n| n > 0)?;
        let n_head_kv = self.head_count_kv.unwrap_or(n_head);
        let default_dim = self.embedding_length.map(|e| e / n_head);
        let k_dim = self.key_length.or(default_dim)?;
        let v_dim = self.value_length.or(default_dim)?;
        n_layer
            .checked_mul(n_ctx)?
            .checked_mul(n_head_kv)?
            .checked_mul(k_dim.checked_add(v_dim)?)?
            .checked_mul(2)
    }
}

/// Why a file could not be read as a GGUF model; each message names the file.
#[derive(Debug, thiserror::Error)]
pub enum GgufError {
    #[error("{}: file not found", path.display())]
    NotFound { path: PathBuf },
    #[error("{}: is a directory, not a GGUF model file", path.display())]
    IsDirectory { path: PathBuf },
    #[error("{}: file is empty (0 bytes); download or copy the model again", path.display())]
    Empty { path: PathBuf },
    #[error("{}: cannot read: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },
    #[error("{}: not a GGUF model file: {what}", path.display())]
    NotGguf { path: PathBuf, what: String },
    #[error("{}: unsupported GGUF version {version}: {hint}", path.display())]
    UnsupportedVersion {
        path: PathBuf,
        version: u32,
        hint: String,
    },
    #[error("{}: truncated GGUF file: {detail}", path.display())]
    Truncated { path: PathBuf, detail: String },
    #[error("{}: corrupt GGUF file: {detail}", path.display())]
    Corrupt { path: PathBuf, detail: String },
}

/// The sha256 of a whole file (the model's identity in the results), hex.
pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = sha2::Sha256::new();
    std::io::copy(&mut file, &mut hasher)?;
    Ok(format!("{:x}", hasher.finalize()))
}

/// Reads the GGUF header of `path`; the tensor data is only checked to be
/// present (by size), never read.
pub fn read_gguf_info(path: &Path) -> Result<GgufInfo, GgufError> {
    let io_err = |source: io::Error| match source.kind() {
        io::ErrorKind::NotFound => GgufError::NotFound { path: path.into() },
        _ => GgufError::Io {
            path: path.into(),
            source,
        },
    };
    // Checked first because opening a directory succeeds on Linux.
    if std::fs::metadata(path).map_err(io_err)?.is_dir() {
        return Err(GgufError::IsDirectory { path: path.into() });
    }
    let mut file = File::open(path).map_err(io_err)?;
    let size = file.seek(SeekFrom::End(0)).map_err(io_err)?;
    file.rewind().map_err(io_err)?;
    if size == 0 {
        return Err(GgufError::Empty { path: path.into() });
    }
    let mut reader = Reader {
        inner: BufReader::with_capacity(1 << 16, file),
        path: path.into(),
        pos: 0,
        size,
        context: String::new(),
    };
    parse(&mut reader)
}

fn parse(r: &mut Reader) -> Result<GgufInfo, GgufError> {
    check_magic(r)?;
    let version = check_version(r)?;
    r.context = "the header counts".into();
    let n_tensors = r.u64()?;
    let n_kv = r.u64()?;
    let min_bytes = n_kv
        .checked_mul(MIN_KV_BYTES)
        .zip(n_tensors.checked_mul(MIN_TENSOR_INFO_BYTES))
        .and_then(|(a, b)| a.checked_add(b));
    r.claim(
        min_bytes,
        format_args!("{n_kv} key-value pairs and {n_tensors} tensors"),
    )?;

    let mut meta = Metadata::default();
    for i in 0..n_kv {
        r.context = format!("key-value pair {} of {n_kv}", i + 1);
        read_kv(r, &mut meta)?;
    }
    r.context.clear();
    let alignment = meta
        .ints
        .get(KEY_ALIGNMENT)
        .copied()
        .unwrap_or(DEFAULT_ALIGNMENT);
    if !alignment.is_power_of_two() {
        return Err(r.corrupt(format!("{KEY_ALIGNMENT} is {alignment}, not a power of 2")));
    }

    let mut totals = Totals::default();
    for i in 0..n_tensors {
        r.context = format!("tensor info {} of {n_tensors}", i + 1);
        read_tensor_info(r, &mut totals)?;
    }
    r.context.clear();
    // ggml pads the header so tensor data starts aligned, but only if there is data.
    let data_offset = match n_tensors {
        0 => r.pos,
        _ => r.pos.div_ceil(alignment) * alignment,
    };
    let expected = data_offset
        .checked_add(totals.data_end)
        .ok_or_else(|| r.corrupt("tensor offsets overflow".into()))?;
    if expected > r.size {
        return Err(r.truncated(format!(
            "tensor data should end at byte {expected} but the file is only {} bytes ({} missing); \
             the download or copy was probably cut short",
            r.size,
            expected - r.size
        )));
    }
    Ok(build_info(
        r,
        version,
        n_tensors,
        data_offset,
        meta,
        &totals,
    ))
}

fn build_info(
    r: &Reader,
    version: u32,
    n_tensors: u64,
    data_offset: u64,
    mut meta: Metadata,
    totals: &Totals,
) -> GgufInfo {
    let architecture = meta.strings.remove(KEY_ARCH);
    let arch_int = |suffix: &str| {
        let arch = architecture.as_ref()?;
        meta.ints.get(&format!("{arch}.{suffix}")).copied()
    };
    let file_type = meta
        .ints
        .get(KEY_FILE_TYPE)
        .and_then(|&v| u32::try_from(v).ok());
    let quant = file_type
        .and_then(ftype_name)
        .or_else(|| totals.dominant_type())
        .unwrap_or("unknown")
        .to_string();
    GgufInfo {
        path: r.path.clone(),
        version,
        file_size: r.size,
        model_name: meta.strings.remove(KEY_NAME),
        file_type,
        quant,
        n_params: totals.n_params,
        tensor_bytes: totals.bytes,
        n_tensors,
        context_length: arch_int("context_length"),
        block_count: arch_int("block_count"),
        embedding_length: arch_int("embedding_length"),
        head_count: arch_int("attention.head_count"),
        head_count_kv: arch_int("attention.head_count_kv"),
        key_length: arch_int("attention.key_length"),
        value_length: arch_int("attention.value_length"),
        has_chat_template: meta.has_chat_template,
        data_offset,
        architecture,
    }
}

fn check_magic(r: &mut Reader) -> Result<(), GgufError> {
    let mut head = r.take(r.size.min(4))?;
    if head == MAGIC {
        return Ok(());
    }
    head.extend(r.take(r.remaining().min(60))?);
    Err(GgufError::NotGguf {
        path: r.path.clone(),
        what: describe_start(&head),
    })
}

/// Names what a non-GGUF file probably is, so the user knows what to do with it.
fn describe_start(head: &[u8]) -> String {
    if head.len() < 4 {
        return format!("it is only {} bytes long", head.len());
    }
    if let Some(hint) = known_format(head) {
        return hint.into();
    }
    // The 64-byte sample may cut a multi-byte character at the end; that is still text.
    let text = match std::str::from_utf8(head) {
        Ok(s) => Some(s),
        Err(e) if e.error_len().is_none() => std::str::from_utf8(&head[..e.valid_up_to()]).ok(),
        Err(_) => None,
    };
    match text {
        Some(s) if !s.chars().any(|c| c.is_control() && !c.is_whitespace()) => {
            let sample: String = s.chars().take(40).collect();
            format!("it looks like text, starting with {sample:?}")
        }
        _ => {
            let hex: Vec<String> = head.iter().take(8).map(|b| format!("{b:02x}")).collect();
            format!("it starts with bytes {} instead of \"GGUF\"", hex.join(" "))
        }
    }
}

/// Formats a model file is commonly confused with, each with what to do about it.
fn known_format(head: &[u8]) -> Option<&'static str> {
    let lower = String::from_utf8_lossy(head).to_lowercase();
    Some(match head {
        _ if lower.starts_with("version https://git-lfs") => {
            "it is a Git LFS pointer, not the model itself; run `git lfs pull`"
        }
        _ if lower.starts_with("<!doctype html") || lower.starts_with("<html") => {
            "it looks like an HTML page (a failed download?)"
        }
        [b'P', b'K', 3, 4, ..] => "it looks like a ZIP archive; extract the .gguf from it first",
        [0x1f, 0x8b, ..] => "it looks like a gzip archive; decompress it first",
        // Pre-GGUF llama.cpp magics ('ggml', 'ggmf', 'ggjt') written as little-endian u32.
        [b'l' | b'f', b'm', b'g', b'g', ..] | [b't', b'j', b'g', b'g', ..] => {
            "it is an old GGML/GGJT model from before GGUF; convert it with a current llama.cpp"
        }
        // safetensors: a u64 header length, then a JSON object.
        [_, _, _, _, _, _, _, _, b'{', b'"', ..] => {
            "it looks like a safetensors file; convert it with llama.cpp's convert_hf_to_gguf.py"
        }
        _ => return None,
    })
}

fn check_version(r: &mut Reader) -> Result<u32, GgufError> {
    let version = r.u32()?;
    let hint = match version {
        2 | 3 => return Ok(version),
        1 => "GGUF v1 is obsolete; get or convert the model with a current llama.cpp".into(),
        // A big-endian v3 file reads as 0x03000000 here.
        v if v != 0 && v & 0xFFFF == 0 => format!(
            "this looks like a big-endian GGUF file (version field reads {v:#010x}); \
             only little-endian files are supported"
        ),
        _ => "only versions 2 and 3 are supported (is the file corrupt, or newer than edgebench?)"
            .into(),
    };
    Err(GgufError::UnsupportedVersion {
        path: r.path.clone(),
        version,
        hint,
    })
}

/// The metadata values we report; everything else is skipped without reading it.
#[derive(Default)]
struct Metadata {
    /// Integer keys we may need (the arch is not known until its key is read).
    ints: HashMap<String, u64>,
    strings: HashMap<String, String>,
    has_chat_template: bool,
}

fn wants_int(key: &str) -> bool {
    key == KEY_FILE_TYPE
        || key == KEY_ALIGNMENT
        || (!key.starts_with("tokenizer.")
            && ARCH_SUFFIXES
                .iter()
                .any(|s| key.strip_suffix(s).is_some_and(|k| k.ends_with('.'))))
}

fn read_kv(r: &mut Reader, meta: &mut Metadata) -> Result<(), GgufError> {
    let key = r.string(MAX_NAME_LEN, "key")?;
    r.context.push_str(&format!(", '{key}'"));
    let mut ty = r.u32()?;
    let mut count = None;
    if ty == T_ARRAY {
        ty = r.u32()?;
        count = Some(r.u64()?);
        if ty == T_ARRAY {
            return Err(r.corrupt("nested arrays are not supported by llama.cpp".into()));
        }
    }
    if ty != T_STRING && fixed_size(ty).is_none() {
        return Err(r.corrupt(format!("unknown value type {ty}")));
    }
    match (ty, count) {
        (T_STRING, None) if key == KEY_ARCH || key == KEY_NAME => {
            let value = r.string(MAX_KEPT_STRING_LEN, "string")?;
            meta.strings.insert(key, value);
        }
        (T_STRING, None) if key == KEY_CHAT_TEMPLATE => {
            let len = r.string_len(u64::MAX, "string")?;
            r.skip(len)?;
            meta.has_chat_template = len > 0;
        }
        _ if is_integer(ty) && wants_int(&key) => {
            if let Some(value) = read_max_int(r, ty, count.unwrap_or(1))? {
                meta.ints.insert(key, value);
            }
        }
        _ => skip_values(r, ty, count.unwrap_or(1))?,
    }
    Ok(())
}

fn fixed_size(ty: u32) -> Option<u64> {
    match ty {
        T_U8 | T_I8 | T_BOOL => Some(1),
        T_U16 | T_I16 => Some(2),
        T_U32 | T_I32 | T_F32 => Some(4),
        T_U64 | T_I64 | T_F64 => Some(8),
        _ => None,
    }
}

fn is_integer(ty: u32) -> bool {
    matches!(
        ty,
        T_U8 | T_I8 | T_U16 | T_I16 | T_U32 | T_I32 | T_U64 | T_I64
    )
}

/// Reads `n` integers and keeps the largest non-negative one: a per-layer
/// array (e.g. head_count_kv) is summarised by its worst case.
fn read_max_int(r: &mut Reader, ty: u32, n: u64) -> Result<Option<u64>, GgufError> {
    let size = fixed_size(ty).unwrap_or(8);
    r.claim(
        n.checked_mul(size),
        format_args!("an array of {n} integers"),
    )?;
    let signed = matches!(ty, T_I8 | T_I16 | T_I32 | T_I64);
    let mut max = None;
    for _ in 0..n {
        let mut buf = [0u8; 8];
        r.read_exact(&mut buf[..size as usize])?;
        let raw = u64::from_le_bytes(buf);
        // Shifting up then arithmetically down sign-extends a narrower integer.
        let shift = 64 - 8 * size as u32;
        let value = if signed {
            u64::try_from(((raw << shift) as i64) >> shift).ok()
        } else {
            Some(raw)
        };
        max = max.max(value);
    }
    Ok(max)
}

fn skip_values(r: &mut Reader, ty: u32, n: u64) -> Result<(), GgufError> {
    if let Some(size) = fixed_size(ty) {
        let total = r.claim(n.checked_mul(size), format_args!("an array of {n} values"))?;
        return r.skip(total);
    }
    // Strings: each is a u64 length then bytes; at least 8 bytes apiece.
    r.claim(n.checked_mul(8), format_args!("an array of {n} strings"))?;
    for _ in 0..n {
        let len = r.string_len(u64::MAX, "string")?;
        r.skip(len)?;
    }
    Ok(())
}

/// Sums over the tensor infos; no per-tensor data is kept.
#[derive(Default)]
struct Totals {
    n_params: u64,
    bytes: u64,
    /// End of the furthest tensor, relative to the start of tensor data.
    data_end: u64,
    bytes_by_type: BTreeMap<u32, u64>,
}

impl Totals {
    fn dominant_type(&self) -> Option<&'static str> {
        let (&ty, _) = self.bytes_by_type.iter().max_by_key(|(_, &bytes)| bytes)?;
        tensor_type(ty).map(|t| t.name)
    }
}

fn read_tensor_info(r: &mut Reader, totals: &mut Totals) -> Result<(), GgufError> {
    let name = r.string(MAX_NAME_LEN, "tensor name")?;
    r.context.push_str(&format!(", '{name}'"));
    let n_dims = r.u32()?;
    if n_dims > MAX_DIMS {
        return Err(r.corrupt(format!(
            "{n_dims} dimensions (ggml allows at most {MAX_DIMS})"
        )));
    }
    let (mut n_elements, mut row_len) = (1u64, 1u64);
    for d in 0..n_dims {
        let ne = r.u64()?;
        // Dimensions are int64 on disk: a negative one reads as a huge u64.
        let product = n_elements.checked_mul(ne).filter(|_| ne <= i64::MAX as u64);
        n_elements = product.ok_or_else(|| r.corrupt(format!("absurd dimension {ne}")))?;
        if d == 0 {
            row_len = ne;
        }
    }
    let id = r.u32()?;
    let ty = tensor_type(id).ok_or_else(|| r.corrupt(unknown_tensor_type(id)))?;
    if row_len % ty.block != 0 {
        let detail = format!(
            "row of {row_len} is not a multiple of the {} block of {}",
            ty.name, ty.block
        );
        return Err(r.corrupt(detail));
    }
    let n_bytes = (n_elements / ty.block).checked_mul(ty.size);
    let offset = r.u64()?;
    let overflow = || r.corrupt("tensor sizes overflow".into());
    let end = n_bytes
        .and_then(|b| b.checked_add(offset))
        .ok_or_else(overflow)?;
    let n_bytes = n_bytes.unwrap_or_default();
    totals.n_params = totals
        .n_params
        .checked_add(n_elements)
        .ok_or_else(overflow)?;
    totals.bytes = totals.bytes.checked_add(n_bytes).ok_or_else(overflow)?;
    totals.data_end = totals.data_end.max(end);
    // Cannot overflow: the per-type sums add up to totals.bytes, checked above.
    *totals.bytes_by_type.entry(id).or_default() += n_bytes;
    Ok(())
}

fn unknown_tensor_type(id: u32) -> String {
    match id {
        4 | 5 | 31..=33 | 36..=38 => {
            format!("tensor type {id} was removed from ggml; re-quantize the model")
        }
        _ => format!(
            "unknown tensor type {id}: a newer ggml type than edgebench knows, or corruption"
        ),
    }
}

/// Block layout of a ggml tensor type: `size` bytes hold `block` elements.
struct TensorType {
    name: &'static str,
    block: u64,
    size: u64,
}

/// ggml's type_traits (ggml.c) for every type a GGUF file may hold, by enum ggml_type id.
fn tensor_type(id: u32) -> Option<TensorType> {
    let (name, block, size) = match id {
        0 => ("F32", 1, 4),
        1 => ("F16", 1, 2),
        2 => ("Q4_0", 32, 18),
        3 => ("Q4_1", 32, 20),
        6 => ("Q5_0", 32, 22),
        7 => ("Q5_1", 32, 24),
        8 => ("Q8_0", 32, 34),
        9 => ("Q8_1", 32, 36),
        10 => ("Q2_K", 256, 84),
        11 => ("Q3_K", 256, 110),
        12 => ("Q4_K", 256, 144),
        13 => ("Q5_K", 256, 176),
        14 => ("Q6_K", 256, 210),
        15 => ("Q8_K", 256, 292),
        16 => ("IQ2_XXS", 256, 66),
        17 => ("IQ2_XS", 256, 74),
        18 => ("IQ3_XXS", 256, 98),
        19 => ("IQ1_S", 256, 50),
        20 => ("IQ4_NL", 32, 18),
        21 => ("IQ3_S", 256, 110),
        22 => ("IQ2_S", 256, 82),
        23 => ("IQ4_XS", 256, 136),
        24 => ("I8", 1, 1),
        25 => ("I16", 1, 2),
        26 => ("I32", 1, 4),
        27 => ("I64", 1, 8),
        28 => ("F64", 1, 8),
        29 => ("IQ1_M", 256, 56),
        30 => ("BF16", 1, 2),
        34 => ("TQ1_0", 256, 54),
        35 => ("TQ2_0", 256, 66),
        39 => ("MXFP4", 32, 17),
        40 => ("NVFP4", 64, 36),
        41 => ("Q1_0", 128, 18),
        42 => ("Q2_0", 64, 18),
        _ => return None,
    };
    Some(TensorType { name, block, size })
}

/// llama.cpp's enum llama_ftype, named as in its source without "LLAMA_FTYPE_[MOSTLY_]".
fn ftype_name(ftype: u32) -> Option<&'static str> {
    Some(match ftype & !FTYPE_GUESSED {
        0 => "F32",
        1 => "F16",
        2 => "Q4_0",
        3 => "Q4_1",
        4 => "Q4_1_SOME_F16",
        7 => "Q8_0",
        8 => "Q5_0",
        9 => "Q5_1",
        10 => "Q2_K",
        11 => "Q3_K_S",
        12 => "Q3_K_M",
        13 => "Q3_K_L",
        14 => "Q4_K_S",
        15 => "Q4_K_M",
        16 => "Q5_K_S",
        17 => "Q5_K_M",
        18 => "Q6_K",
        19 => "IQ2_XXS",
        20 => "IQ2_XS",
        21 => "Q2_K_S",
        22 => "IQ3_XS",
        23 => "IQ3_XXS",
        24 => "IQ1_S",
        25 => "IQ4_NL",
        26 => "IQ3_S",
        27 => "IQ3_M",
        28 => "IQ2_S",
        29 => "IQ2_M",
        30 => "IQ4_XS",
        31 => "IQ1_M",
        32 => "BF16",
        33 => "Q4_0_4_4",
        34 => "Q4_0_4_8",
        35 => "Q4_0_8_8",
        36 => "TQ1_0",
        37 => "TQ2_0",
        38 => "MXFP4_MOE",
        39 => "NVFP4",
        40 => "Q1_0",
        41 => "Q2_0",
        _ => return None,
    })
}

/// Little-endian reads that track the position, so every length can be checked
/// against the bytes left before it is trusted.
struct Reader {
    inner: BufReader<File>,
    path: PathBuf,
    pos: u64,
    size: u64,
    /// What is being read, for error messages: "key-value pair 3 of 24, 'general.name'".
    context: String,
}

impl Reader {
    fn remaining(&self) -> u64 {
        self.size - self.pos
    }

    /// Checks that `bytes` (None: overflowed) fit in what is left of the file. A claim
    /// that fits neither the whole file nor any real header is corruption; otherwise
    /// the file was most likely cut short.
    fn claim(&self, bytes: Option<u64>, what: fmt::Arguments) -> Result<u64, GgufError> {
        let (pos, size) = (self.pos, self.size);
        match bytes {
            Some(n) if n <= self.remaining() => Ok(n),
            Some(n) if n <= size.max(PLAUSIBLE_HEADER_BYTES) => Err(self.truncated(format!(
                "header ends early: needs {n} bytes for {what} at offset {pos}, but the file is only {size} bytes"
            ))),
            Some(n) => Err(self.corrupt(format!(
                "{what} would need {n} bytes, more than the whole file ({size} bytes)"
            ))),
            None => Err(self.corrupt(format!("{what} would need more than 2^64 bytes"))),
        }
    }

    fn read_exact(&mut self, buf: &mut [u8]) -> Result<(), GgufError> {
        self.claim(Some(buf.len() as u64), format_args!("a value"))?;
        self.inner.read_exact(buf).map_err(|e| self.io(e))?;
        self.pos += buf.len() as u64;
        Ok(())
    }

    fn take(&mut self, n: u64) -> Result<Vec<u8>, GgufError> {
        let mut buf = vec![0; n as usize];
        self.read_exact(&mut buf)?;
        Ok(buf)
    }

    fn u32(&mut self) -> Result<u32, GgufError> {
        let mut buf = [0; 4];
        self.read_exact(&mut buf)?;
        Ok(u32::from_le_bytes(buf))
    }

    fn u64(&mut self) -> Result<u64, GgufError> {
        let mut buf = [0; 8];
        self.read_exact(&mut buf)?;
        Ok(u64::from_le_bytes(buf))
    }

    fn skip(&mut self, n: u64) -> Result<(), GgufError> {
        self.claim(Some(n), format_args!("a value"))?;
        // claim() bounded n by the file size, which fits an i64.
        self.inner.seek_relative(n as i64).map_err(|e| self.io(e))?;
        self.pos += n;
        Ok(())
    }

    /// Reads a string's length prefix and checks the string fits in the file.
    fn string_len(&mut self, max: u64, what: &str) -> Result<u64, GgufError> {
        let len = self.u64()?;
        if len > max {
            return Err(self.corrupt(format!("{what} length {len} is absurd (limit {max})")));
        }
        self.claim(Some(len), format_args!("a {what}"))
    }

    fn string(&mut self, max: u64, what: &str) -> Result<String, GgufError> {
        let len = self.string_len(max, what)?;
        let bytes = self.take(len)?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    fn with_context(&self, detail: String) -> String {
        if self.context.is_empty() {
            detail
        } else {
            format!("{detail} (reading {})", self.context)
        }
    }

    fn truncated(&self, detail: String) -> GgufError {
        GgufError::Truncated {
            path: self.path.clone(),
            detail: self.with_context(detail),
        }
    }

    fn corrupt(&self, detail: String) -> GgufError {
        GgufError::Corrupt {
            path: self.path.clone(),
            detail: self.with_context(detail),
        }
    }

    fn io(&self, source: io::Error) -> GgufError {
        match source.kind() {
            // Only possible if the file shrank while being read.
            io::ErrorKind::UnexpectedEof => self.truncated("file ended while reading".into()),
            _ => GgufError::Io {
                path: self.path.clone(),
                source,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Writes GGUF files in memory the way ggml's writer lays them out.
    struct Builder {
        version: u32,
        alignment: u64,
        n_kv: u64,
        kv: Vec<u8>,
        tensors: Vec<(String, Vec<u64>, u32)>,
    }

    fn put_str(out: &mut Vec<u8>, s: &str) {
        out.extend((s.len() as u64).to_le_bytes());
        out.extend(s.as_bytes());
    }

    impl Builder {
        fn new() -> Self {
            Builder {
                version: 3,
                alignment: 32,
                n_kv: 0,
                kv: Vec::new(),
                tensors: Vec::new(),
            }
        }

        /// Appends a key-value pair whose type and value are already encoded.
        fn raw_kv(mut self, key: &str, type_and_value: &[u8]) -> Self {
            put_str(&mut self.kv, key);
            self.kv.extend(type_and_value);
            self.n_kv += 1;
            self
        }

        fn kv(self, key: &str, ty: u32, value: &[u8]) -> Self {
            let mut bytes = ty.to_le_bytes().to_vec();
            bytes.extend(value);
            self.raw_kv(key, &bytes)
        }

        fn u32(self, key: &str, v: u32) -> Self {
            self.kv(key, T_U32, &v.to_le_bytes())
        }

        fn str(self, key: &str, v: &str) -> Self {
            let mut value = Vec::new();
            put_str(&mut value, v);
            self.kv(key, T_STRING, &value)
        }

        fn array(self, key: &str, elem_ty: u32, n: u64, elems: &[u8]) -> Self {
            let mut value = elem_ty.to_le_bytes().to_vec();
            value.extend(n.to_le_bytes());
            value.extend(elems);
            self.kv(key, T_ARRAY, &value)
        }

        fn alignment(mut self, alignment: u32) -> Self {
            self.alignment = alignment.into();
            self.u32(KEY_ALIGNMENT, alignment)
        }

        fn tensor(mut self, name: &str, dims: &[u64], ty: u32) -> Self {
            self.tensors.push((name.into(), dims.to_vec(), ty));
            self
        }

        fn tensor_bytes(dims: &[u64], ty: u32) -> u64 {
            // Unknown types get no data: the reader must reject them before it matters.
            tensor_type(ty).map_or(0, |t| dims.iter().product::<u64>() / t.block * t.size)
        }

        /// Returns the whole file and where its tensor data starts.
        fn build(&self) -> (Vec<u8>, usize) {
            let mut out = MAGIC.to_vec();
            out.extend(self.version.to_le_bytes());
            out.extend((self.tensors.len() as u64).to_le_bytes());
            out.extend(self.n_kv.to_le_bytes());
            out.extend(&self.kv);
            let mut offset = 0u64;
            for (name, dims, ty) in &self.tensors {
                put_str(&mut out, name);
                out.extend((dims.len() as u32).to_le_bytes());
                dims.iter().for_each(|d| out.extend(d.to_le_bytes()));
                out.extend(ty.to_le_bytes());
                out.extend(offset.to_le_bytes());
                offset += Self::tensor_bytes(dims, *ty).div_ceil(self.alignment) * self.alignment;
            }
            if !self.tensors.is_empty() {
                out.resize(
                    out.len().div_ceil(self.alignment as usize) * self.alignment as usize,
                    0,
                );
            }
            let data_offset = out.len();
            out.resize(data_offset + offset as usize, 0);
            (out, data_offset)
        }
    }

    /// A temporary directory removed on drop, so tests need no extra crates.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new() -> Self {
            static N: AtomicUsize = AtomicUsize::new(0);
            let n = N.fetch_add(1, Ordering::SeqCst);
            let dir = std::env::temp_dir()
                .join(format!("edgebench-gguf-test-{}-{n}", std::process::id()));
            std::fs::create_dir_all(&dir).unwrap();
            TempDir(dir)
        }

        fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
            let path = self.0.join(name);
            std::fs::write(&path, bytes).unwrap();
            path
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn parse_bytes(bytes: &[u8]) -> Result<GgufInfo, GgufError> {
        let dir = TempDir::new();
        read_gguf_info(&dir.write("model.gguf", bytes))
    }

    fn i32s(values: &[i32]) -> Vec<u8> {
        values.iter().flat_map(|v| v.to_le_bytes()).collect()
    }

    fn strs(values: &[&str]) -> Vec<u8> {
        let mut out = Vec::new();
        values.iter().for_each(|s| put_str(&mut out, s));
        out
    }

    /// A small llama-like model: Q4_K matrix, F16 norm, Q8_0 matrix.
    fn llama() -> Builder {
        Builder::new()
            .str(KEY_ARCH, "llama")
            .str(KEY_NAME, "Tiny Llama")
            .u32(KEY_FILE_TYPE, 15)
            .array(
                "tokenizer.ggml.tokens",
                T_STRING,
                3,
                &strs(&["<s>", "a", "b"]),
            )
            .array("tokenizer.ggml.scores", T_F32, 2, &[0; 8])
            .kv("llama.context_length", T_U64, &2048u64.to_le_bytes())
            .u32("llama.block_count", 2)
            .u32("llama.embedding_length", 64)
            .kv("llama.attention.head_count", T_I32, &4i32.to_le_bytes())
            .array("llama.attention.head_count_kv", T_I32, 3, &i32s(&[2, 4, 1]))
            .kv("llama.rope.freq_base", T_F32, &10000f32.to_le_bytes())
            .kv("tokenizer.ggml.add_bos_token", T_BOOL, &[1])
            .str(KEY_CHAT_TEMPLATE, "{{ messages }}")
            .tensor("blk.0.attn_q.weight", &[256, 4], 12)
            .tensor("blk.0.attn_norm.weight", &[64], 1)
            .tensor("output.weight", &[32, 3], 8)
    }

    #[test]
    fn parses_metadata_and_tensor_totals() {
        let (bytes, data_offset) = llama().build();
        let info = parse_bytes(&bytes).unwrap();
        assert_eq!(info.version, 3);
        assert_eq!(info.file_size, bytes.len() as u64);
        assert_eq!(info.architecture.as_deref(), Some("llama"));
        assert_eq!(info.model_name.as_deref(), Some("Tiny Llama"));
        assert_eq!((info.file_type, info.quant.as_str()), (Some(15), "Q4_K_M"));
        assert_eq!(info.n_tensors, 3);
        assert_eq!(info.n_params, 256 * 4 + 64 + 32 * 3);
        // Q4_K: 4 blocks of 144 bytes; F16: 64 * 2; Q8_0: 3 blocks of 34 bytes.
        assert_eq!(info.tensor_bytes, 4 * 144 + 64 * 2 + 3 * 34);
        assert_eq!(info.context_length, Some(2048));
        assert_eq!(info.block_count, Some(2));
        assert_eq!(info.embedding_length, Some(64));
        assert_eq!(info.head_count, Some(4));
        assert_eq!(info.head_count_kv, Some(4), "max of the per-layer array");
        assert_eq!((info.key_length, info.value_length), (None, None));
        assert!(info.has_chat_template);
        assert_eq!(info.data_offset, data_offset as u64);
        assert_eq!(info.data_offset % 32, 0);
    }

    #[test]
    fn reads_v2_and_custom_alignment() {
        let mut b = llama().alignment(64);
        b.version = 2;
        let (bytes, data_offset) = b.build();
        let info = parse_bytes(&bytes).unwrap();
        assert_eq!(info.version, 2);
        assert_eq!(info.data_offset, data_offset as u64);
        assert_eq!(info.data_offset % 64, 0);
    }

    #[test]
    fn empty_chat_template_and_no_tensors() {
        let (bytes, data_offset) = Builder::new().str(KEY_CHAT_TEMPLATE, "").build();
        let info = parse_bytes(&bytes).unwrap();
        assert!(!info.has_chat_template);
        assert_eq!(
            (info.n_tensors, info.n_params, info.tensor_bytes),
            (0, 0, 0)
        );
        assert_eq!(info.data_offset, data_offset as u64);
        assert_eq!(info.architecture, None);
        assert_eq!(info.context_length, None);
        assert_eq!(info.quant, "unknown");
    }

    #[test]
    fn quant_names() {
        let names = [
            (0, "F32"),
            (1, "F16"),
            (3, "Q4_1"),
            (7, "Q8_0"),
            (15, "Q4_K_M"),
        ];
        for (ftype, name) in names {
            assert_eq!(ftype_name(ftype), Some(name));
        }
        assert_eq!(ftype_name(32), Some("BF16"));
        assert_eq!(ftype_name(38), Some("MXFP4_MOE"));
        assert_eq!(ftype_name(FTYPE_GUESSED | 18), Some("Q6_K"));
        assert_eq!(ftype_name(5), None);
        // Without general.file_type, the type holding the most bytes names the quant.
        let b = Builder::new()
            .tensor("a", &[64, 2], 0) // 512 bytes of F32
            .tensor("b", &[64, 10], 8); // 680 bytes of Q8_0
        assert_eq!(parse_bytes(&b.build().0).unwrap().quant, "Q8_0");
        // An unknown file type falls back the same way.
        let b = Builder::new()
            .u32(KEY_FILE_TYPE, 999)
            .tensor("a", &[32], 30);
        let info = parse_bytes(&b.build().0).unwrap();
        assert_eq!((info.file_type, info.quant.as_str()), (Some(999), "BF16"));
    }

    #[test]
    fn tensor_types_match_ggml() {
        let expect = [
            (2, 32, 18),
            (12, 256, 144),
            (23, 256, 136),
            (35, 256, 66),
            (39, 32, 17),
        ];
        for (id, block, size) in expect {
            let t = tensor_type(id).unwrap();
            assert_eq!((t.block, t.size), (block, size), "{}", t.name);
        }
        let known = (0..64).filter(|&id| tensor_type(id).is_some()).count();
        assert_eq!(known, 43 - 8, "ggml.h: 43 ids, 8 removed");
    }

    #[test]
    fn kv_cache_bytes_by_hand() {
        let (bytes, _) = llama().build();
        let mut info = parse_bytes(&bytes).unwrap();
        // head_dim = 64 / 4 = 16; 2 (K,V) * 2 layers * 100 tokens * 4 kv heads * 16 * 2 bytes.
        assert_eq!(info.kv_cache_bytes(100), Some(2 * 2 * 100 * 4 * 16 * 2));
        assert_eq!(info.kv_cache_bytes(100), Some(51_200));
        info.key_length = Some(32);
        info.value_length = Some(16);
        // K: 2 * 100 * 4 * 32 * 2 = 51200; V: 2 * 100 * 4 * 16 * 2 = 25600.
        assert_eq!(info.kv_cache_bytes(100), Some(76_800));
        info.head_count_kv = None; // defaults to head_count (4): same here
        assert_eq!(info.kv_cache_bytes(100), Some(76_800));
        info.block_count = None;
        assert_eq!(info.kv_cache_bytes(100), None);
        info.block_count = Some(u64::MAX);
        assert_eq!(
            info.kv_cache_bytes(100),
            None,
            "overflow is None, not a panic"
        );
    }

    fn expect_err(result: Result<GgufInfo, GgufError>) -> (GgufError, String) {
        let err = result.unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("model.gguf") || msg.contains("edgebench-gguf-test"),
            "names the file: {msg}"
        );
        assert!(!msg.contains('\n'), "one line: {msg}");
        (err, msg)
    }

    #[test]
    fn error_missing_dir_and_empty() {
        let dir = TempDir::new();
        let (err, _) = expect_err(read_gguf_info(&dir.0.join("model.gguf")));
        assert!(matches!(err, GgufError::NotFound { .. }), "{err}");
        let (err, msg) = expect_err(read_gguf_info(&dir.0));
        assert!(matches!(err, GgufError::IsDirectory { .. }), "{err}");
        assert!(msg.contains("directory"), "{msg}");
        let (err, msg) = expect_err(read_gguf_info(&dir.write("model.gguf", b"")));
        assert!(
            matches!(err, GgufError::Empty { .. }) && msg.contains("0 bytes"),
            "{msg}"
        );
    }

    #[test]
    fn error_not_gguf() {
        let cases: [(&[u8], &str); 7] = [
            (
                b"Hello, this is not a model.\n",
                "looks like text, starting with \"Hello",
            ),
            (
                b"version https://git-lfs.github.com/spec/v1\noid sha256:",
                "git lfs pull",
            ),
            (b"<!DOCTYPE html><html>", "HTML"),
            (b"PK\x03\x04\x14\x00\x00\x00", "ZIP"),
            (b"tjgg\x01\x00\x00\x00", "GGML/GGJT"),
            (
                b"\x00\x01\x02\x03\xff\xfe",
                "starts with bytes 00 01 02 03 ff fe",
            ),
            (b"GG", "only 2 bytes"),
        ];
        for (bytes, hint) in cases {
            let (err, msg) = expect_err(parse_bytes(bytes));
            assert!(matches!(err, GgufError::NotGguf { .. }), "{msg}");
            assert!(msg.contains(hint), "{msg} should contain {hint}");
        }
    }

    #[test]
    fn error_bad_version() {
        for (version, hint) in [
            (1, "obsolete"),
            (4, "versions 2 and 3"),
            (0x0300_0000, "big-endian"),
        ] {
            let mut b = llama();
            b.version = version;
            let (err, msg) = expect_err(parse_bytes(&b.build().0));
            assert!(matches!(err, GgufError::UnsupportedVersion { .. }), "{msg}");
            assert!(msg.contains(hint), "{msg}");
        }
    }

    #[test]
    fn error_truncated_header() {
        let (bytes, data_offset) = llama().build();
        for cut in [12, 30, 100, data_offset - 40] {
            let (err, msg) = expect_err(parse_bytes(&bytes[..cut]));
            assert!(
                matches!(err, GgufError::Truncated { .. }),
                "cut at {cut}: {msg}"
            );
            assert!(msg.contains("header ends early"), "{msg}");
        }
        // Every prefix short of the last tensor's end fails cleanly, whichever error it is.
        let dir = TempDir::new();
        for cut in 0..data_offset + 704 + 102 {
            // A fresh name each time: rewriting one file makes ext4 flush it, slowly.
            let path = dir.write(&format!("cut-{cut}.gguf"), &bytes[..cut]);
            assert!(read_gguf_info(&path).is_err(), "cut at {cut}");
        }
    }

    #[test]
    fn error_truncated_tensor_data() {
        let (bytes, data_offset) = llama().build();
        // Tensors at 0 (576 bytes), 576 (128 bytes) and 704 (102 bytes) after the header.
        let end = data_offset + 704 + 102;
        let cut = end - 100;
        let (err, msg) = expect_err(parse_bytes(&bytes[..cut]));
        assert!(matches!(err, GgufError::Truncated { .. }), "{msg}");
        let expected = format!("end at byte {end} but the file is only {cut} bytes");
        assert!(
            msg.contains(&expected) && msg.contains("100 missing"),
            "{msg}"
        );
        // Padding after the last tensor is not required.
        assert!(parse_bytes(&bytes[..end]).is_ok());
    }

    #[test]
    fn error_absurd_lengths_and_counts() {
        // A key length of u64::MAX.
        let mut bytes = Builder::new().build().0;
        bytes[16..24].copy_from_slice(&1u64.to_le_bytes()); // n_kv = 1
        bytes.extend(u64::MAX.to_le_bytes());
        bytes.extend([0; 64]);
        let (err, msg) = expect_err(parse_bytes(&bytes));
        assert!(
            matches!(err, GgufError::Corrupt { .. }) && msg.contains("absurd"),
            "{msg}"
        );
        // A chat template longer than the whole file.
        let mut value = T_STRING.to_le_bytes().to_vec();
        value.extend((1u64 << 40).to_le_bytes());
        let b = Builder::new().raw_kv(KEY_CHAT_TEMPLATE, &value);
        let (err, msg) = expect_err(parse_bytes(&b.build().0));
        assert!(
            matches!(err, GgufError::Corrupt { .. }) && msg.contains("whole file"),
            "{msg}"
        );
        // An array with 2^62 elements.
        let b = Builder::new().array("x", T_U32, 1 << 62, &[]);
        let (err, _) = expect_err(parse_bytes(&b.build().0));
        assert!(matches!(err, GgufError::Corrupt { .. }), "{err}");
        // A tensor count of 2^60.
        let mut bytes = llama().build().0;
        bytes[8..16].copy_from_slice(&(1u64 << 60).to_le_bytes());
        let (err, msg) = expect_err(parse_bytes(&bytes));
        assert!(
            matches!(err, GgufError::Corrupt { .. }) && msg.contains("tensors"),
            "{msg}"
        );
    }

    #[test]
    fn error_unknown_types_and_bad_shapes() {
        let b = Builder::new().kv("x", 13, &[0; 8]);
        let (_, msg) = expect_err(parse_bytes(&b.build().0));
        assert!(
            msg.contains("unknown value type 13") && msg.contains("'x'"),
            "{msg}"
        );
        let b = Builder::new().array("x", T_ARRAY, 1, &[0; 16]);
        let (_, msg) = expect_err(parse_bytes(&b.build().0));
        assert!(msg.contains("nested"), "{msg}");
        let mut b = Builder::new().tensor("w", &[32], 0);
        b.tensors[0].2 = 99;
        let (err, msg) = expect_err(parse_bytes(&b.build().0));
        assert!(matches!(err, GgufError::Corrupt { .. }), "{msg}");
        assert!(
            msg.contains("unknown tensor type 99") && msg.contains("'w'"),
            "{msg}"
        );
        b.tensors[0].2 = 31;
        let (_, msg) = expect_err(parse_bytes(&b.build().0));
        assert!(msg.contains("removed from ggml"), "{msg}");
        let b = Builder::new()
            .tensor("w", &[30], 1)
            .tensor("v", &[1, 1, 1, 1, 1], 0);
        let (_, msg) = expect_err(parse_bytes(&b.build().0));
        assert!(msg.contains("5 dimensions"), "{msg}");
        let b = Builder::new().tensor("w", &[48, 2], 1);
        let mut bytes = b.build().0;
        bytes[24 + 8 + 1 + 4 + 16..][..4].copy_from_slice(&8u32.to_le_bytes()); // Q8_0
        let (_, msg) = expect_err(parse_bytes(&bytes));
        assert!(
            msg.contains("row of 48 is not a multiple of the Q8_0 block of 32"),
            "{msg}"
        );
        let b = Builder::new().u32(KEY_ALIGNMENT, 48);
        let (_, msg) = expect_err(parse_bytes(&b.build().0));
        assert!(msg.contains("not a power of 2"), "{msg}");
    }

    #[test]
    fn corrupted_bytes_never_panic() {
        let (bytes, data_offset) = llama().build();
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let dir = TempDir::new();
        for i in 0..300 {
            let mut copy = bytes.clone();
            for _ in 0..1 + next() % 4 {
                let at = (next() % data_offset as u64) as usize;
                copy[at] = next() as u8;
            }
            let _ = read_gguf_info(&dir.write(&format!("model-{i}.gguf"), &copy));
        }
    }

    /// Checks the two models edgebench ships suites for, when they are available.
    #[test]
    fn real_models() {
        let Some(dir) = std::env::var_os("EDGEBENCH_TEST_MODELS_DIR").map(PathBuf::from) else {
            eprintln!("note: EDGEBENCH_TEST_MODELS_DIR not set; skipping real GGUF checks");
            return;
        };
        let check = |name: &str, check: &dyn Fn(&GgufInfo)| {
            let path = dir.join(name);
            if !path.exists() {
                eprintln!("note: {} not found; skipping", path.display());
                return;
            }
            let info = read_gguf_info(&path).unwrap();
            assert_eq!(info.data_offset + info.tensor_bytes, info.file_size);
            check(&info);
        };
        check("gemma-3-270m-Q4_K_M.gguf", &|info| {
            assert_eq!(info.architecture.as_deref(), Some("gemma3"));
            assert_eq!(info.quant, "Q4_K_M");
            assert_eq!(info.n_params, 268_098_176);
            assert_eq!(info.n_tensors, 236);
            assert_eq!(info.context_length, Some(32_768));
            assert_eq!((info.block_count, info.head_count_kv), (Some(18), Some(1)));
            assert_eq!((info.key_length, info.value_length), (Some(256), Some(256)));
            assert!(!info.has_chat_template);
            // 18 layers * 4096 tokens * 1 kv head * (256 + 256) * 2 bytes.
            assert_eq!(info.kv_cache_bytes(4096), Some(75_497_472));
        });
        check("SmolLM2-135M-Instruct-Q4_1.gguf", &|info| {
            assert_eq!(info.architecture.as_deref(), Some("llama"));
            assert_eq!(info.quant, "Q4_1");
            assert_eq!(info.n_params, 134_515_008);
            assert_eq!(info.n_tensors, 272);
            assert_eq!(info.context_length, Some(8192));
            assert_eq!((info.block_count, info.head_count_kv), (Some(30), Some(3)));
            assert!(info.has_chat_template);
        });
    }
}
