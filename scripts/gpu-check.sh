#!/usr/bin/env bash
# The GPU check (docs/build.md, "The GPU check"): on a machine with an NVIDIA
# GPU, nvcc and CMake (no Rust, no network), from the inputs that
# scripts/gpu-check-inputs.sh packs (the portable package, llama.cpp's sources,
# a tokenizer), in one go:
#
#   1. the package, unpacked, runs `doctor` in a bare environment (portable build, CPU variant)
#   2. builds libggml-cuda.so and llama-bench for the local GPU (nvidia-smi's compute
#      capability; GPU_ARCH=87 on a Jetson, which has no nvidia-smi) from those sources
#   3. writes a synthetic ~0.5B-parameter model (edgebench synth)
#   4. runs edgebench's engine-only sweep (pp512, tg128) at --n-gpu-layers 0,999 with
#      the NVML sampler, and llama-bench on the same model with the same settings
#   5. prints one summary: backend found, GPU, pp/tg at ngl 0 and 999,
#      edgebench/llama-bench ratios, NVML samples (VRAM, power, temperature, clocks)
#
# Without a GPU or nvcc it says so, skips 2 and the GPU half of 4, and still checks
# the package and the synthetic model (a short CPU sweep on it). Exit status 0 when
# every step it could run passed.
#
#   gpu-check/gpu-check.sh [INPUTS_DIR]     (default: this script's directory)
#
# Environment: GPU_ARCH (override the detected architecture), GPU_CHECK_WORK (work
# directory, default INPUTS_DIR/work), THREADS (default: nproc), REPS (default 3),
# SYNTH_TYPE (q8_0), SYNTH_PARAMS (0.5B), GPU_CHECK_FA (off: built without flash-attention
# kernels, to fit the time budget; on: with them, and both tools measure with them).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
inputs=$(cd "${1:-$here}" && pwd)
work=${GPU_CHECK_WORK:-$inputs/work}
threads=${THREADS:-$(nproc)}
reps=${REPS:-3}
started=$(date +%s)
failures=()
summary=()
log() { printf '[%4ds] %s\n' $(($(date +%s) - started)) "$*"; }
fail() { failures+=("$*"); log "FAILED: $*"; }
note() { summary+=("$*"); }
finish() {
    echo
    echo "== edgebench GPU check: summary ($(($(date +%s) - started)) s wall) =="
    printf '%s\n' "${summary[@]}"
    if [ ${#failures[@]} -eq 0 ]; then
        echo "result: PASS"
        exit 0
    fi
    printf 'failed: %s\n' "${failures[@]}"
    echo "result: FAIL"
    exit 1
}

package=$(ls "$inputs"/edgebench-*.tar.gz 2>/dev/null | head -1)
[ -n "$package" ] && [ -d "$inputs/llama.cpp" ] && [ -f "$inputs/tokenizer.gguf" ] || {
    echo "$inputs: not the gpu-check inputs (edgebench-*.tar.gz, llama.cpp/, tokenizer.gguf);" >&2
    echo "make them with scripts/gpu-check-inputs.sh in the source tree" >&2
    exit 2
}
rm -rf "$work/pkg" "$work/results" "$work/cpu-results"
mkdir -p "$work/pkg"

# 1. The package, as a machine without Rust runs it.
tar -xzf "$package" -C "$work/pkg"
pkg=$(ls -d "$work"/pkg/edgebench-*/)
pkg=${pkg%/}
edgebench=$pkg/edgebench
# No Rust on PATH; what the GPU libraries need passes through.
bare() {
    env -i HOME="$work" PATH=/usr/bin:/bin LD_LIBRARY_PATH="${LD_LIBRARY_PATH:-}" \
        ${CUDA_VISIBLE_DEVICES:+CUDA_VISIBLE_DEVICES=$CUDA_VISIBLE_DEVICES} "$@"
}
doctor() { (cd "$work" && bare "$edgebench" doctor 2>&1); }
text=$(doctor)
if echo "$text" | grep -q '^llama.cpp build (.*): portable$'; then
    variant=$(echo "$text" | sed -n 's/^  CPU variant: \([^ ]*\).*/\1/p')
    log "package: $(basename "$package"), portable, CPU variant $variant"
    note "package: $(basename "$package"): portable build, CPU variant ${variant:-?} ($(echo "$text" | sed -n 's/.*(ggml score \([0-9]*\).*/score \1/p'))"
else
    echo "$text"
    fail "package: doctor does not report a portable build"
    finish
fi

# 2. What this machine has.
gpu_name='' arch=${GPU_ARCH:-} nvml=0
if command -v nvidia-smi >/dev/null; then
    query=$(nvidia-smi --query-gpu=name,compute_cap,driver_version --format=csv,noheader 2>/dev/null | head -1)
    if [ -n "$query" ]; then
        gpu_name=$(echo "$query" | cut -d, -f1 | sed 's/^ *//')
        [ -n "$arch" ] || arch=$(echo "$query" | cut -d, -f2 | tr -d ' .')
        nvml=1
        note "GPU: $gpu_name (compute capability $(echo "$query" | cut -d, -f2 | tr -d ' '), driver$(echo "$query" | cut -d, -f3))"
    fi
fi
[ -n "$gpu_name" ] || { [ -n "$arch" ] && gpu_name="GPU (GPU_ARCH=$arch)"; }
nvcc=$(command -v nvcc || true)
for dir in ${CUDA_HOME:-} /usr/local/cuda; do
    [ -n "$nvcc" ] || { [ -x "$dir/bin/nvcc" ] && nvcc=$dir/bin/nvcc; }
done
have_cmake=$(command -v cmake || true)
gpu_mode=1
[ -n "$gpu_name" ] || { gpu_mode=0; note "GPU: none found (no nvidia-smi, or it lists no GPU; GPU_ARCH unset)"; }
[ -n "$nvcc" ] || { gpu_mode=0; note "nvcc: not found (PATH, CUDA_HOME, /usr/local/cuda): the CUDA backend cannot be built here"; }
[ -n "$have_cmake" ] || { gpu_mode=0; note "cmake: not found"; }
[ $gpu_mode = 1 ] || log "no GPU, nvcc or CMake: CPU-only check (package, synthetic model); the CUDA steps are skipped"

# 3. The synthetic model (started before the CUDA build would be nicer, but both want every core).
synth_params=${SYNTH_PARAMS:-0.5B} synth_type=${SYNTH_TYPE:-q8_0}
model=$work/synth-qwen2-$synth_params-$synth_type.gguf
t=$(date +%s)
if out=$(cd "$work" && bare "$edgebench" synth --out "$model" --tokenizer-from "$inputs/tokenizer.gguf" \
    --arch qwen2 --params "$synth_params" --type "$synth_type" 2>&1); then
    log "synthetic model: $(echo "$out" | tail -1)"
    note "synthetic model: qwen2 $synth_params $synth_type, $(du -h "$model" | cut -f1), written in $(($(date +%s) - t)) s"
else
    echo "$out"
    fail "edgebench synth"
    finish
fi

# 4a. The CUDA backend and llama-bench, for this GPU, from the same sources.
# Flash attention off by default: GGML_CUDA_FA=OFF compiles its kernels to empty
# bodies, a large share of the build, and both tools then run without it.
# GPU_CHECK_FA=on builds and measures it.
if [ "${GPU_CHECK_FA:-off}" = on ]; then
    fa_cmake='' fa_edgebench=on fa_bench=1
else
    fa_cmake=-DGGML_CUDA_FA=OFF fa_edgebench=off fa_bench=0
fi
bench_bin=''
if [ $gpu_mode = 1 ]; then
    t=$(date +%s)
    log "building libggml-cuda.so + llama-bench for sm_$arch (the long step)"
    if WITH_LLAMA_BENCH=1 LLAMA_SRC=$inputs/llama.cpp CUDA_BUILD_DIR=$work/cuda-build \
        CUDA_CMAKE_ARGS="${CUDA_CMAKE_ARGS:-} $fa_cmake" "$inputs/build-cuda-backend.sh" "$arch" "$pkg"; then
        note "CUDA build: libggml-cuda.so + llama-bench for sm_$arch in $(($(date +%s) - t)) s"
        bench_bin=$work/cuda-build/bin/llama-bench
        # llama-bench has no CPU backend of its own: it loads the package's variants.
        cp "$pkg"/libggml-cpu-*.so "$work/cuda-build/bin/"
    else
        fail "CUDA build (logs: $work/cuda-build.*.log)"
        gpu_mode=0
    fi
fi
if [ $gpu_mode = 1 ]; then
    text=$(doctor)
    registered=$(echo "$text" | sed -n 's/^  backends registered: //p')
    if echo "$registered" | grep -q CUDA; then
        note "backend found: libggml-cuda.so loaded by the portable binary (registered: $registered)"
    else
        echo "$text" | grep 'not loaded' || true
        fail "libggml-cuda.so beside the binary did not register a CUDA backend (registered: $registered)"
        gpu_mode=0
    fi
fi

# 4b. The sweeps.
if [ $gpu_mode = 1 ]; then
    log "edgebench: engine-only at ngl 0 and 999, $reps reps, $threads threads, NVML sampler"
    if ! (cd "$work" && bare "$edgebench" run --model "$model" --suite engine-only --n-gpu-layers 0,999 \
        --threads "$threads" --reps "$reps" --flash-attn "$fa_edgebench" --sample-ms 100 --out "$work/results") \
        > "$work/edgebench-run.log" 2>&1; then
        tail -15 "$work/edgebench-run.log"
        fail "edgebench sweep (log: $work/edgebench-run.log)"
    fi
    log "llama-bench: the same model and settings"
    if ! "$bench_bin" -m "$model" -ngl 0,999 -p 512 -n 128 -r "$reps" -t "$threads" -fa "$fa_bench" -o json \
        > "$work/llama-bench.json" 2> "$work/llama-bench.log"; then
        tail -15 "$work/llama-bench.log"
        fail "llama-bench (log: $work/llama-bench.log)"
    fi
else
    log "edgebench: a short CPU sweep on the synthetic model (pp64, tg16)"
    if ! (cd "$work" && bare "$edgebench" run --model "$model" --suite engine-only --pp 64 --tg 16 --n-gpu-layers 0 \
        --reps 1 --warmup 0 --threads "$threads" --out "$work/results") > "$work/edgebench-run.log" 2>&1; then
        tail -15 "$work/edgebench-run.log"
        fail "edgebench sweep on the synthetic model (log: $work/edgebench-run.log)"
    fi
    note "CUDA steps: skipped (no GPU/nvcc/CMake here): no CUDA backend, no ngl 999, no llama-bench, no NVML"
fi

# 5. The summary.
run_dir=$(ls -d "$work"/results/*/ 2>/dev/null | head -1)
if [ -n "$run_dir" ] && command -v python3 >/dev/null; then
    if ! report=$(python3 - "$run_dir" "$work/llama-bench.json" "$gpu_mode" "$nvml" <<'PY'
import csv, json, os, sys
run_dir, bench_path, gpu_mode, nvml = sys.argv[1], sys.argv[2], sys.argv[3] == "1", sys.argv[4] == "1"
problems = []
rows = list(csv.DictReader(open(os.path.join(run_dir, "summary.csv"))))
manifest = json.load(open(os.path.join(run_dir, "manifest.json")))
backends = manifest["llama_cpp"].get("backends", {})
print(f"edgebench: build {backends.get('build_kind')}, CPU variant {backends.get('cpu_variant')}, "
      f"registered {', '.join(backends.get('registered', []))}")
for d in manifest["llama_cpp"].get("devices", []):
    print(f"  device {d['name']}: {d['description']} ({d['backend']}, {d['memory_total_bytes'] / 2**30:.1f} GiB)")
ours = {}
for r in rows:
    if r.get("status") != "ok":
        problems.append(f"edgebench {r['test']} ngl {r['n_gpu_layers']}: {r.get('status')} {r.get('error')}")
        continue
    metric = "pp_tps_median" if r["test"].startswith("pp") else "tg_tps_median"
    ours[(int(r["n_gpu_layers"]), r["test"])] = float(r[metric])
theirs = {}
if os.path.exists(bench_path) and os.path.getsize(bench_path):
    for t in json.load(open(bench_path)):
        test = f"pp{t['n_prompt']}" if t["n_prompt"] else f"tg{t['n_gen']}"
        samples = sorted(t["samples_ts"])
        theirs[(int(t["n_gpu_layers"]), test)] = samples[len(samples) // 2]
print(f"{'ngl':>4} {'test':6} {'edgebench t/s':>14} {'llama-bench t/s':>16} {'ratio':>6}")
for key in sorted(set(ours) | set(theirs)):
    e, b = ours.get(key), theirs.get(key)
    ratio = f"{e / b:6.3f}" if e and b else "     -"
    fmt = lambda v: f"{v:.1f}" if v else "-"
    print(f"{key[0]:>4} {key[1]:6} {fmt(e):>14} {fmt(b):>16} {ratio}")
    if e and b and abs(e / b - 1) > 0.10:
        problems.append(f"{key[1]} at ngl {key[0]}: edgebench/llama-bench {e / b:.3f}, outside 10%")
if gpu_mode:
    for test in ("pp512", "tg128"):
        cpu, gpu = ours.get((0, test)), ours.get((999, test))
        if not (cpu and gpu and gpu > cpu):
            problems.append(f"{test}: ngl 999 ({gpu}) not faster than ngl 0 ({cpu}): is the GPU used?")
if gpu_mode and nvml:
    samples = list(csv.DictReader(open(os.path.join(run_dir, "samples.csv"))))
    wanted = {"VRAM used (MiB)": "gpu0_mem_used_mb", "power (mW)": "power_gpu0_mw",
              "temperature (C)": "temp_gpu0_c", "SM clock (MHz)": "gpu0_sm_freq_mhz",
              "memory clock (MHz)": "gpu0_mem_freq_mhz"}
    print("NVML samples:")
    for label, metric in wanted.items():
        values = [float(s["value"]) for s in samples if s["metric"] == metric and s["value"] not in ("", None)]
        if values:
            print(f"  {label:20} {len(values):5} samples, {min(values):.0f} .. {max(values):.0f}")
        else:
            print(f"  {label:20} none")
            problems.append(f"no NVML samples of {metric}")
for p in problems:
    print(f"PROBLEM: {p}")
sys.exit(1 if problems else 0)
PY
    ); then
        fail "summary checks (PROBLEM lines above)"
    fi
    while IFS= read -r line; do note "$line"; done <<< "$report"
elif [ -n "$run_dir" ]; then
    note "results: $run_dir (no python3 here to summarise them)"
else
    fail "no run directory under $work/results"
fi
finish
