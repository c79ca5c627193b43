"""Timing: the two loops interleaved in one run, medians, ratios, FLOP/s, a table and a JSON file."""
from __future__ import annotations

import datetime as dt
import platform
import statistics
import time
from typing import Optional

import torch

from ..text import tr
from .families import Case, Family, Runner, Setup
from .flops import count_flops, device_peak


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    if device.type == "cpu":
        try:
            for line in open("/proc/cpuinfo", encoding="utf-8"):
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
        except OSError:
            pass
        return platform.processor() or "CPU"
    return device.type


def timed(runner: Runner, steps: int, device: torch.device) -> float:
    synchronize(device)
    start = time.perf_counter()
    runner.run(steps)
    synchronize(device)
    return time.perf_counter() - start


def measure(family: Family, setup: Setup, steps: int, repeats: int, warmup: int) -> dict:
    """Warm both loops up, then alternate them ``repeats`` times (ABBA order) and summarise."""
    case: Case = family.build(setup)
    flops_fast = count_flops(case.fast.step)
    flops_plain = count_flops(case.plain.step)
    for runner in (case.plain, case.fast):
        runner.run(warmup)
    seconds: dict[str, list[float]] = {"plain": [], "gansrc": []}
    for r in range(repeats):
        order = ("plain", "gansrc") if r % 2 == 0 else ("gansrc", "plain")
        for name in order:
            seconds[name].append(timed(case.plain if name == "plain" else case.fast, steps, setup.device))
    rate = {k: [steps * case.batch_size / s for s in v] for k, v in seconds.items()}
    median = {k: statistics.median(v) for k, v in rate.items()}
    paired = [f / p for f, p in zip(rate["gansrc"], rate["plain"])]
    peak, _ = device_peak(setup.device)
    achieved = {k: median[k] / case.batch_size * f for k, f in (("plain", flops_plain), ("gansrc", flops_fast))}
    return {
        "model": family.name, "label": family.label, "unit": family.unit, "batch_size": case.batch_size,
        "shape": list(case.shape), "steps": steps, "repeats": repeats, "warmup": warmup, "notes": case.notes,
        "plain_rate": rate["plain"], "gansrc_rate": rate["gansrc"],
        "plain_median": median["plain"], "gansrc_median": median["gansrc"],
        "ratio": median["gansrc"] / median["plain"], "paired_ratio_median": statistics.median(paired),
        "flops_per_step_plain": flops_plain, "flops_per_step_gansrc": flops_fast,
        "achieved_flops_plain": achieved["plain"], "achieved_flops_gansrc": achieved["gansrc"],
        "peak_fraction_gansrc": achieved["gansrc"] / peak if peak else None,
    }


def environment(setup: Setup) -> dict:
    peak, peak_note = device_peak(setup.device)
    return {
        "device": device_name(setup.device), "device_type": setup.device.type,
        "torch": torch.__version__, "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "threads": torch.get_num_threads(), "quick": setup.quick, "peak_flops": peak, "peak_note": peak_note,
        "python": platform.python_version(),
    }


def _si(x: Optional[float], unit: str = "") -> str:
    if x is None:
        return "-"
    for scale, prefix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(x) >= scale:
            return f"{x / scale:.3g} {prefix}{unit}"
    return f"{x:.3g} {unit}"


def table(env: dict, results: list[dict], skipped: list[str]) -> str:
    """The results as a fixed-width text table, with the machine it ran on."""
    head = (tr("bench_model"), tr("bench_batch"), tr("bench_plain_rate"), "gansrc/s", tr("bench_ratio"),
            tr("bench_flop_step"), "FLOP/s gansrc", tr("bench_of_peak"), tr("bench_uses"))
    rows = [head]
    for r in results:
        frac = "-" if r["peak_fraction_gansrc"] is None else f"{100 * r['peak_fraction_gansrc']:.1f}%"
        rows.append((r["model"], str(r["batch_size"]), f"{r['plain_median']:.1f}", f"{r['gansrc_median']:.1f}",
                     f"{r['ratio']:.2f}x", _si(r["flops_per_step_gansrc"]), _si(r["achieved_flops_gansrc"]), frac,
                     ", ".join(r["notes"]) or "float32, NCHW"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    lines = [tr("bench_device", device=env["device"], kind=env["device_type"], threads=env["threads"], torch=env["torch"],
                date=env["date"]),
             tr("bench_peak", note=env["peak_note"])]
    for i, row in enumerate(rows):
        lines.append("  ".join(c.ljust(w) if j in (0, len(row) - 1) else c.rjust(w) for j, (c, w) in enumerate(zip(row, widths))).rstrip())
        if i == 0:
            lines.append("  ".join("-" * w for w in widths))
    lines.append(tr("bench_footnote"))
    lines += [f"[skipped] {s}" for s in skipped]
    return "\n".join(lines)
