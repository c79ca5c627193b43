"""The benchmark: a tutorial-style training loop against gansrc's trainer (``python -m gansrc.bench``).

``plain`` holds the tutorial loops, ``families`` the models, ``flops`` the FLOP counter and the
GPU peak table, ``run`` the interleaved timing and the report.
"""
from .families import FAMILIES, Family, Setup
from .flops import PEAK_TFLOPS, count_flops, device_peak
from .run import measure, table
from .cli import main

__all__ = ["FAMILIES", "Family", "Setup", "main", "PEAK_TFLOPS", "count_flops", "device_peak", "measure", "table"]
