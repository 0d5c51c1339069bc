"""Code export: a request as runnable code in three flavours, never containing the key.

- `toolkit`: this package's own API (a `Studio` that shows the job).
- `httpx`: raw HTTP against the async queue, polling like the vendor page.
- `curl`: the vendor page's cURL + jq recipe.

Python literals are written with `repr`, so booleans come out as `True`/`False` (the vendor
page's own "all parameters" Python samples write JSON's `false` and fail with NameError).
"""

from __future__ import annotations

import json
import shlex
from typing import Any, Literal

from ._contract.request import VideoRequest
from ._contract.schema import DEFAULT_MODEL
from ._transport.settings import DEFAULT_BASE_URL, SIMULATOR_TOKEN

__all__ = ["FLAVOURS", "FLAVOUR_LABELS", "Flavour", "to_code"]

Flavour = Literal["toolkit", "httpx", "curl"]
FLAVOURS: tuple[Flavour, ...] = ("toolkit", "httpx", "curl")
FLAVOUR_LABELS: dict[Flavour, str] = {"toolkit": "Toolkit", "httpx": "httpx", "curl": "cURL"}


def to_code(request: VideoRequest, flavour: Flavour = "toolkit", *, take: int = 1,
            base_url: str | None = None, simulated: bool = False) -> str:
    """Code that re-creates `request`. `base_url` is written only when it is not the default.

    On the simulator the key may be absent: the code then falls back to a placeholder token,
    which only the simulator accepts.
    """
    if flavour == "toolkit":
        return _toolkit(request, take, simulated)
    if flavour == "httpx":
        return _httpx(request, base_url or DEFAULT_BASE_URL, simulated)
    if flavour == "curl":
        return _curl(request, base_url or DEFAULT_BASE_URL, simulated)
    raise ValueError(f"flavour: {flavour!r} is not allowed. Allowed: {', '.join(FLAVOURS)}")


def _literal(value: Any) -> str:
    """A Python literal, strings double-quoted like most formatters write them."""
    return json.dumps(value, ensure_ascii=False) if isinstance(value, str) else repr(value)


def _toolkit(request: VideoRequest, take: int, simulated: bool) -> str:
    model = "" if request.model == DEFAULT_MODEL else f"model={_literal(request.model)}"
    args = "".join(f"    {name}={_literal(value)},\n" for name, value in request.params.items())
    note = "# Runs on the built-in simulator unless OXEN_API_KEY is set.\n" if simulated else ""
    return (
        f"{note}from seedance_widgets import Studio\n\n"
        f"studio = Studio({model})\n"
        f"studio.generate(\n{args}    take={take!r},\n)\n"
        "studio"
    )


def _key_expression(simulated: bool) -> str:
    if simulated:
        return f'os.environ.get("OXEN_API_KEY", "{SIMULATOR_TOKEN}")'
    return 'os.environ["OXEN_API_KEY"]'


def _httpx(request: VideoRequest, base_url: str, simulated: bool) -> str:
    body = _python_dict(request.to_json())
    return f'''import os
import time

import httpx

BASE_URL = os.environ.get("OXEN_BASE_URL", {_literal(base_url)})
API_KEY = {_key_expression(simulated)}
HEADERS = {{"Authorization": f"Bearer {{API_KEY}}"}}
REQUEST = {body}

with httpx.Client(base_url=BASE_URL, headers=HEADERS, timeout=60) as client:
    enqueued = client.post("/ai/queue", json=REQUEST)
    enqueued.raise_for_status()
    generation_id = enqueued.json()["generations"][0]["generation_id"]
    print("generation", generation_id)

    while True:
        record = client.get(f"/ai/queue/{{generation_id}}").json()
        if record["status"] in {{"succeeded", "failed", "cancelled"}}:
            break
        time.sleep(5)

    if record["status"] == "succeeded":
        video = client.get(record["result_url"])
        video.raise_for_status()
        with open(f"{{generation_id}}.mp4", "wb") as out:
            out.write(video.content)
        print("saved", f"{{generation_id}}.mp4")
    else:
        print("generation", record["status"], record.get("error_message"))
'''


def _curl(request: VideoRequest, base_url: str, simulated: bool) -> str:
    body = json.dumps(request.to_json(), indent=2, ensure_ascii=False)
    key = f"${{OXEN_API_KEY:-{SIMULATOR_TOKEN}}}" if simulated else "$OXEN_API_KEY"
    return f'''BASE_URL="${{OXEN_BASE_URL:-}}"
[ -n "$BASE_URL" ] || BASE_URL={shlex.quote(base_url)}
AUTH="Authorization: Bearer {key}"

# Enqueue, capture the generation id.
GEN_ID=$(curl -s -X POST "$BASE_URL/ai/queue" \\
  -H "Content-Type: application/json" \\
  -H "$AUTH" \\
  -d {shlex.quote(body)} | jq -r '.generations[0].generation_id')

# Poll until the generation reaches a terminal status.
while true; do
  STATUS=$(curl -s -H "$AUTH" "$BASE_URL/ai/queue/$GEN_ID" | jq -r '.status')
  echo "Status: $STATUS"
  case $STATUS in succeeded|failed|cancelled) break;; esac
  sleep 5
done

# Download the result.
URL=$(curl -s -H "$AUTH" "$BASE_URL/ai/queue/$GEN_ID" | jq -r '.result_url')
curl -s -H "$AUTH" -o "$GEN_ID.mp4" "$URL" && echo "saved $GEN_ID.mp4"
'''


def _python_dict(value: dict[str, Any]) -> str:
    lines = "".join(f"    {_literal(k)}: {_literal(v)},\n" for k, v in value.items())
    return "{\n" + lines + "}"
