"""Where a generation's video is kept: a file named after its id, inside the output folder."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

__all__ = ["video_path"]

_SAFE_NAME = re.compile(r"[^A-Za-z0-9_.-]")


def video_path(output_dir: Path, generation_id: str, container: str = "mp4") -> Path:
    """The file for `generation_id` in `output_dir`; the id never escapes the folder.

    An id that had to be cleaned or shortened gets a hash suffix, so two ids never share a
    file. `container` is `mov` for models asked for QuickTime (`output_format: "mov"`);
    anything else is saved as `mp4`.
    """
    name = _SAFE_NAME.sub("_", generation_id).strip("._")[:120]
    if not name or name != generation_id:
        digest = hashlib.sha256(generation_id.encode("utf-8", "surrogatepass")).hexdigest()
        name = f"{name or 'video'}-{digest[:12]}"
    return output_dir / f"{name}.{'mov' if container == 'mov' else 'mp4'}"
