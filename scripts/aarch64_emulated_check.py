#!/usr/bin/env python3
"""Checks the run directory of scripts/aarch64-emulated.sh: an aarch64 build with
the ARM dot-product kernels, the Jetson sampler (tegrastats) chosen, unified
memory, power, temperature and J/token filled, and the Orin NX profile in the
report. Prints one line per check; exits 1 when any fails.

usage: aarch64_emulated_check.py RUN_DIR EXE
"""
import csv
import json
import subprocess
import sys
from pathlib import Path

failed = []


def check(ok, what, detail=""):
    print(f"{'ok  ' if ok else 'FAIL'} {what}{': ' + str(detail) if detail else ''}")
    if not ok:
        failed.append(what)


def number(row, column):
    value = row.get(column, "")
    return float(value) if value not in ("", "NaN", "nan") else None


def main(run_dir: Path, exe: Path):
    elf = subprocess.run(["file", "-b", str(exe)], capture_output=True, text=True).stdout
    check("ARM aarch64" in elf, "the sweep's executable is aarch64", elf.split(",")[1].strip())

    manifest = json.loads((run_dir / "manifest.json").read_text())
    check(manifest["state"] == "finished", "the run finished", manifest["state"])
    build = manifest["edgebench"]
    check(build["target"] == "aarch64-unknown-linux-gnu", "built for aarch64", build["target"])
    # The manifest's llama_cpu_flags are CMake's, before scripts/lib/orin-cross-cc
    # swaps -march=armv8-a for -mcpu=cortex-a78ae: count the instructions instead.
    disassembly = subprocess.run(["aarch64-linux-gnu-objdump", "-d", "--no-show-raw-insn", str(exe)], capture_output=True, text=True).stdout
    dots = sum(1 for line in disassembly.splitlines() if "\tsdot\t" in line or "\tudot\t" in line)
    check(dots > 100, "the executable holds the dot-product instructions (sdot/udot)", dots)
    info = manifest["llama_cpp"]["system_info"]
    check("DOTPROD = 1" in info and "NEON = 1" in info, "llama.cpp's ARM dot-product kernels are in", info)
    check(manifest["host"]["arch"] == "aarch64", "the host is seen as aarch64", manifest["host"]["arch"])

    sampling = manifest["sampling"]
    jetson = next(b for b in sampling["backends"] if b["name"] == "jetson")
    check(jetson["available"] and jetson["detail"].startswith("tegrastats"), "the Jetson sampler (tegrastats) is chosen", jetson["detail"])
    session_backends = sampling["sessions"][0]["backends"]
    check("tegrastats" in session_backends, "tegrastats sampled the sweep", session_backends)
    check(sampling["unified_memory"] is True, "memory is reported as unified")
    model = (manifest["conditions"].get("jetson") or {}).get("model")
    check(model is not None and "Orin NX" in model, "the board is recorded", model)

    with open(run_dir / "summary.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    speed = [r for r in rows if r["test"] in ("pp64", "tg16")]
    check(len(speed) == 2 and all(r["status"] == "ok" for r in speed), "pp64 and tg16 measured", [(r["test"], r["status"]) for r in speed])
    for r in speed:
        power, temp, jpt = number(r, "mean_power_w"), number(r, "max_cpu_temp_c"), number(r, "joules_per_token")
        # tegrastats' VDD_IN is 11.5 W and cpu@52.5C: the fake's figures, not the sysfs tree's.
        check(power == 11.5, f"{r['test']}: mean_power_w from tegrastats", power)
        check(temp is not None and 50.0 < temp < 60.0, f"{r['test']}: max_cpu_temp_c", temp)
        check(jpt is not None and jpt > 0, f"{r['test']}: joules_per_token", jpt)
        check(r["unified_memory"].lower() == "true", f"{r['test']}: unified_memory", r["unified_memory"])
        check(number(r, "tg_tps_mean" if r["test"] == "tg16" else "pp_tps_mean") is not None, f"{r['test']}: a rate", "")

    with open(run_dir / "quality.csv", newline="") as f:
        answers = list(csv.DictReader(f))
    check(len(answers) == 3 and all(a["output_text"].strip() for a in answers), "three quality answers, none empty", [a["output_text"][:40] for a in answers])
    passed = sum(1 for a in answers if a.get("pass", "").lower() == "true")
    print(f"     quality: {passed}/3 passed")

    report = (run_dir / "report.md").read_text()
    line = next((l for l in report.splitlines() if l.startswith("Device profile:")), "")
    check("jetson-orin-nx-16gb" in line, "the report uses the Orin NX profile", line)
    charts = run_dir / "charts"
    check((charts / "tg_tps.svg").is_file() and (charts / "timeline.svg").is_file(), "the report's charts are drawn")

    if failed:
        print(f"aarch64-emulated: {len(failed)} check(s) failed: {', '.join(failed)}")
        sys.exit(1)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(Path(sys.argv[1]), Path(sys.argv[2]))
