"""``python -m gansrc.bench``: tutorial loop versus gansrc's trainer, model by model (``main(argv)`` from code)."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Optional, Sequence

import torch

from ..runtime import pick_device
from ..text import tr
from .families import FAMILIES, Setup, select
from .run import environment, measure, table


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m gansrc.bench", description=__doc__)
    p.add_argument("--quick", action="store_true", help="CI-sized run: narrow networks, small batches, few steps")
    p.add_argument("--device", default=None, help="cpu, cuda, cuda:1... (default: the best available, or GANSRC_DEVICE)")
    p.add_argument("--models", nargs="+", metavar="MODEL", choices=sorted(FAMILIES), help=f"subset of {', '.join(FAMILIES)}")
    p.add_argument("--repeats", type=int, default=None, help="timed repetitions of each loop (default 5)")
    p.add_argument("--steps", type=int, default=None, help="training steps per repetition (default 5, quick 4)")
    p.add_argument("--warmup", type=int, default=None, help="untimed steps of each loop first (default 2, quick 1)")
    p.add_argument("--threads", type=int, default=None,
                   help="torch.set_num_threads (default: PyTorch's choice; 1 with --quick on the CPU, like the smoke chapters)")
    p.add_argument("--amp", action="store_true",
                   help="mixed precision for gansrc on the CPU too (bf16, where the CPU has native bf16; changes numerics)")
    p.add_argument("--channels-last", choices=("auto", "on", "off"), default="auto",
                   help="NHWC for the convolutional models on gansrc's side (auto: on CUDA only)")
    p.add_argument("--unfused-adam", action="store_true",
                   help="gansrc uses the default (unfused) Adam on the CPU, as the chapters do")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", type=Path, default=None, metavar="PATH", help="also write the results to PATH")
    args = p.parse_args(argv)
    for name in ("repeats", "steps"):
        if getattr(args, name) is not None and getattr(args, name) < 1:
            p.error(f"--{name} must be at least 1")
    if args.warmup is not None and args.warmup < 0:
        p.error("--warmup cannot be negative")
    return args


def main(argv: Optional[Sequence[str]] = None) -> dict:
    args = parse_args(argv)
    cl = {"auto": None, "on": True, "off": False}[args.channels_last]
    setup = Setup(pick_device(args.device), quick=args.quick, seed=args.seed, amp=True if args.amp else None, channels_last=cl,
                  fused_adam=not args.unfused_adam)
    threads = args.threads or (1 if args.quick and setup.device.type == "cpu" else None)
    if threads:
        torch.set_num_threads(threads)
    repeats = args.repeats or 5
    steps = args.steps or (4 if args.quick else 5)
    warmup = args.warmup if args.warmup is not None else (1 if args.quick else 2)
    families, skipped = select(args.models, setup)
    env = environment(setup)
    results = []
    for family in families:
        print(tr("bench_timing", name=family.name), file=sys.stderr, flush=True)
        results.append(measure(family, setup, steps, repeats, warmup))
    report = {**env, "results": results, "skipped": skipped}
    print(table(env, results, skipped))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=1))
    return report
