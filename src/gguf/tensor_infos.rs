//! The tensor-info section: each tensor's shape and type give its parameter count
//! and byte size, summed as they are read; no per-tensor data is kept.

use std::collections::BTreeMap;

use super::ggml_types::tensor_type;
use super::reader::{printable, Reader, MAX_NAME_LEN};
use super::GgufError;

const MAX_DIMS: u32 = 4;
/// Smallest possible encoding, used to reject absurd counts before looping:
/// name length + n_dims + type + offset.
pub(super) const MIN_TENSOR_INFO_BYTES: u64 = 8 + 4 + 4 + 8;

/// Sums over the tensor infos; no per-tensor data is kept.
#[derive(Default)]
pub(super) struct Totals {
    pub(super) n_params: u64,
    pub(super) bytes: u64,
    /// End of the furthest tensor, relative to the start of tensor data.
    pub(super) data_end: u64,
    bytes_by_type: BTreeMap<u32, u64>,
}

impl Totals {
    /// The tensor type holding the most bytes: the quant when the file does not say.
    pub(super) fn dominant_type(&self) -> Option<&'static str> {
        let (&ty, _) = self.bytes_by_type.iter().max_by_key(|(_, &bytes)| bytes)?;
        tensor_type(ty).map(|t| t.name)
    }
}

pub(super) fn read_tensor_info(r: &mut Reader, totals: &mut Totals) -> Result<(), GgufError> {
    let name = r.string(MAX_NAME_LEN, "tensor name")?;
    r.context.push_str(&format!(", '{}'", printable(&name)));
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
