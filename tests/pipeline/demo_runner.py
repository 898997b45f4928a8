"""Running the quick end-to-end demo (shared by the pipeline tests).

``demo.py --quick`` runs every CLI of every package for real on tiny synthetic scenes:
synth → split → COCO build → UNet and Mask R-CNN training → export → evaluation →
whole-scene inference → scoring. Its outputs are the valid inputs that the bad-input
corpus corrupts.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def run_demo(out: Path) -> subprocess.CompletedProcess[str]:
    """Run the quick demo into ``out`` with this interpreter's environment."""
    env = dict(os.environ, PYTHONUNBUFFERED="1", OMP_NUM_THREADS="2")
    return subprocess.run([sys.executable, str(REPO / "demo.py"), "--quick", "--out", str(out)],
                          capture_output=True, text=True, env=env, timeout=1800)
