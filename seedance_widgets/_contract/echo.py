"""Whether a generation the service lists could be a given request, judged from its echo.

The service echoes a request's parameters in its records, but not always verbatim: it may
trim the prompt, fill in defaults, or report what it chose where the request said "auto".
Reconciliation (finding the job behind an enqueue whose answer was lost) compares the two
after normalising both, so an honest echo never looks like a different request.
"""

from __future__ import annotations

from typing import Any

from .request import VideoRequest
from .status import Generation

__all__ = ["echo_matches"]

# Values by which a request lets the model choose; the echo may carry the choice instead.
_CHOOSE_FOR_ME = ("auto", "adaptive")


def echo_matches(request: VideoRequest, generation: Generation) -> bool:
    """True when every parameter the record echoes agrees with `request`.

    A parameter the record leaves out (or echoes as null) cannot disagree; text is compared
    with surrounding and repeated whitespace folded; numbers by value; "auto" values
    (`-1`, `"auto"`, `"adaptive"`) match whatever the service reports it chose.
    """
    if generation.model_name not in (None, request.model):
        return False
    echoed: dict[str, Any] = dict(generation.params)
    if generation.prompt is not None:
        echoed["prompt"] = generation.prompt
    return all(_same(value, echoed[name]) for name, value in request.params.items()
               if echoed.get(name) is not None)


def _same(wanted: Any, echoed: Any) -> bool:
    if _lets_model_choose(wanted):
        return True
    if isinstance(wanted, bool) or isinstance(echoed, bool):
        return wanted is echoed
    if isinstance(wanted, int | float) and isinstance(echoed, int | float):
        return float(wanted) == float(echoed)
    if isinstance(wanted, str) and isinstance(echoed, str):
        return " ".join(wanted.split()) == " ".join(echoed.split())
    if isinstance(wanted, list | tuple) and isinstance(echoed, list | tuple):
        return len(wanted) == len(echoed) and all(map(_same, wanted, echoed))
    return bool(wanted == echoed)


def _lets_model_choose(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    return value == -1 or (isinstance(value, str) and value in _CHOOSE_FOR_ME)
