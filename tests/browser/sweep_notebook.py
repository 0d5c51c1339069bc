"""A notebook with a 300-cell sweep for the scale tests (and `benchmarks/bench_sweep.py`).

Its first cell starts a Studio on the embedded simulator with short timings and every take
hard-linked from one pre-rendered 480p 4 s clip (rendering is the server's time, not the
widget's); its second runs the sweep: 100 prompts × 3 aspect ratios.
"""

from __future__ import annotations

import json
from pathlib import Path

PROMPTS = 100
ASPECTS = ["16:9", "1:1", "9:16"]
CELLS = PROMPTS * len(ASPECTS)

SETUP = """\
import os, shutil
from pathlib import Path
from seedance_widgets import Studio, _wiring
from seedance_widgets.simulator import store as _sim_store
from seedance_widgets.simulator.render import frame_size, render_video

_template = Path("template.mp4").resolve()
if not _template.exists():
    _w, _h = frame_size("480p", "16:9")
    render_video(_template, prompt="sweep template", width=_w, height=_h, seconds=4,
                 audio=False, watermark=False, label="SIMULATED sweep")

def _link_template(path, **_ignored):
    part = Path(path).with_name("." + Path(path).name + ".part")
    try:
        os.link(_template, part)
    except OSError:
        shutil.copyfile(_template, part)
    os.replace(part, path)

_sim_store.render_video = _link_template
_wiring.embedded_simulator_url()
_wiring._server.config.queue_seconds = {queue}
_wiring._server.config.process_seconds = {process}
studio = Studio(concurrency={concurrency})
studio"""

SWEEP = """\
sweep = studio.sweep(prompt=[f"Take {{i:03d}}: a paper lantern drifting over a night river"
                             for i in range({prompts})],
                     aspect_ratio={aspects}, resolution="480p", duration=4)
len(sweep.jobs)"""


def write(root: Path, name: str = "sweep300.ipynb", *, queue: float = 0.3,
          process: float = 1.0, concurrency: int = 16) -> Path:
    """Write the notebook into `root` and return its path."""
    sources = [SETUP.format(queue=queue, process=process, concurrency=concurrency),
               SWEEP.format(prompts=PROMPTS, aspects=ASPECTS)]
    cells = [{"cell_type": "code", "execution_count": None, "id": f"sweep-{i}",
              "metadata": {}, "outputs": [], "source": source.splitlines(keepends=True)}
             for i, source in enumerate(sources)]
    notebook = {"cells": cells, "nbformat": 4, "nbformat_minor": 5,
                "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                            "language": "python"}}}
    path = root / name
    path.write_text(json.dumps(notebook))
    return path
