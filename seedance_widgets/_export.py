"""Code export: a request as runnable code in three flavours, never containing the key.

- `toolkit`: this package's own API (a `Studio` that shows the job).
- `httpx`: raw HTTP against the async queue, polling like the vendor page.
- `curl`: the vendor page's cURL + jq recipe.

An input given as a local file is exported as that file: the toolkit's `Studio` uploads it
itself; the httpx and curl flavours carry an upload step (named by the file's SHA-256 in the
assets repository, created if missing, skipped when the file is already there) and put the
resulting URL in the request. Inputs given as URLs stay URLs.

Python literals are written with `repr`, so booleans come out as `True`/`False` (the vendor
page's own "all parameters" Python samples write JSON's `false` and fail with NameError).
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Mapping
from typing import Any, Literal

from ._contract.request import VideoRequest
from ._contract.schema import DEFAULT_MODEL
from ._jobs.inputs import INPUTS_FOLDER, SIMULATOR_ASSETS, AssetsRepo
from ._transport.settings import DEFAULT_BASE_URL, SIMULATOR_TOKEN

__all__ = ["FLAVOURS", "FLAVOUR_LABELS", "Flavour", "to_code"]

Flavour = Literal["toolkit", "httpx", "curl"]
FLAVOURS: tuple[Flavour, ...] = ("toolkit", "httpx", "curl")
FLAVOUR_LABELS: dict[Flavour, str] = {"toolkit": "Toolkit", "httpx": "httpx", "curl": "cURL"}


def to_code(request: VideoRequest, flavour: Flavour = "toolkit", *, take: int = 1,
            base_url: str | None = None, simulated: bool = False,
            local_files: Mapping[str, str] | None = None,
            assets_repo: AssetsRepo | None = None) -> str:
    """Code that re-creates `request`. `base_url` is written only when it is not the default.

    On the simulator the key may be absent: the code then falls back to a placeholder token,
    which only the simulator accepts. `local_files` maps each input URL that stands for a
    local file to that file's path; they are uploaded to `assets_repo`.
    """
    local = {url: path for url, path in (local_files or {}).items()
             if url in _urls(request)}
    if local and assets_repo is None:
        raise ValueError("local input files need an assets repository to be exported")
    if flavour == "toolkit":
        named = None if simulated and assets_repo == SIMULATOR_ASSETS else assets_repo
        return _toolkit(request, take, simulated, local, named if local else None)
    inputs = _Inputs(local, assets_repo) if local and assets_repo is not None else None
    if flavour == "httpx":
        return _httpx(request, base_url or DEFAULT_BASE_URL, simulated, inputs)
    if flavour == "curl":
        return _curl(request, base_url or DEFAULT_BASE_URL, simulated, inputs)
    raise ValueError(f"flavour: {flavour!r} is not allowed. Allowed: {', '.join(FLAVOURS)}")


class _Inputs:
    """The local files of an export: each URL's path, extension and variable name."""

    def __init__(self, local: Mapping[str, str], assets: AssetsRepo):
        self.assets = assets
        self.files = [(url, path, url.rsplit(".", 1)[-1], f"input_{i}")
                      for i, (url, path) in enumerate(local.items(), 1)]


def _urls(request: VideoRequest) -> set[str]:
    found: set[str] = set()
    for value in request.params.values():
        for item in value if isinstance(value, tuple) else (value,):
            if isinstance(item, str):
                found.add(item)
    return found


def _with_paths(params: Mapping[str, Any], local: Mapping[str, str]) -> dict[str, Any]:
    """`params` with each uploaded input's URL put back as its local path."""
    def path_of(value: Any) -> Any:
        return local.get(value, value) if isinstance(value, str) else value

    return {k: [path_of(v) for v in value] if isinstance(value, tuple) else path_of(value)
            for k, value in params.items()}


def _literal(value: Any) -> str:
    """A Python literal, strings double-quoted like most formatters write them."""
    return json.dumps(value, ensure_ascii=False) if isinstance(value, str) else repr(value)


def _toolkit(request: VideoRequest, take: int, simulated: bool, local: Mapping[str, str],
             assets: AssetsRepo | None) -> str:
    options = [] if request.model == DEFAULT_MODEL else [f"model={_literal(request.model)}"]
    if assets is not None:
        options.append(f"assets_repo={_literal(str(assets))}")
    params = _with_paths(request.params, local)
    args = "".join(f"    {name}={_literal(value)},\n" for name, value in params.items())
    note = "# Runs on the built-in simulator unless OXEN_API_KEY is set.\n" if simulated else ""
    if local:
        note += "# Local files are uploaded to the assets repository once, named by content.\n"
    return (
        f"{note}from seedance_widgets import Studio\n\n"
        f"studio = Studio({', '.join(options)})\n"
        f"studio.generate(\n{args}    take={take!r},\n)\n"
        "studio"
    )


def _key_expression(simulated: bool) -> str:
    if simulated:
        return f'os.environ.get("OXEN_API_KEY", "{SIMULATOR_TOKEN}")'
    return 'os.environ["OXEN_API_KEY"]'


def _httpx(request: VideoRequest, base_url: str, simulated: bool,
           inputs: _Inputs | None = None) -> str:
    body = _python_dict(request.to_json())
    head, setup = "", f"REQUEST = {body}\n\n"
    if inputs is not None:
        calls = {url: f"upload(client, {_literal(path)}, {_literal(ext)})"
                 for url, path, ext, _ in inputs.files}
        body = _python_dict(request.to_json(), calls).replace("\n", "\n    ")
        head = _httpx_upload(inputs.assets)
        setup = ""
    request_line = f"    REQUEST = {body}\n" if inputs is not None else ""
    ext = str(request.params.get("output_format", "mp4"))
    return f'''import os
import time
{"import hashlib" + chr(10) + "from pathlib import Path" + chr(10) if inputs else ""}
import httpx

BASE_URL = os.environ.get("OXEN_BASE_URL", {_literal(base_url)})
API_KEY = {_key_expression(simulated)}
HEADERS = {{"Authorization": f"Bearer {{API_KEY}}"}}
{setup}{head}with httpx.Client(base_url=BASE_URL, headers=HEADERS, timeout=60) as client:
{request_line}    enqueued = client.post("/ai/queue", json=REQUEST)
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
        with open(f"{{generation_id}}.{ext}", "wb") as out:
            out.write(video.content)
        print("saved", f"{{generation_id}}.{ext}")
    else:
        print("generation", record["status"], record.get("error_message"))
'''


def _curl(request: VideoRequest, base_url: str, simulated: bool,
          inputs: _Inputs | None = None) -> str:
    body = json.dumps(request.to_json(), indent=2, ensure_ascii=False)
    key = f"${{OXEN_API_KEY:-{SIMULATOR_TOKEN}}}" if simulated else "$OXEN_API_KEY"
    data, uploads = f"-d {shlex.quote(body)}", ""
    if inputs is not None:
        args = []
        for url, path, ext, name in inputs.files:
            body = body.replace(json.dumps(url), f"${name}")
            uploads += f"{name.upper()}=$(upload {shlex.quote(path)} {ext}) || exit 1\n"
            args.append(f'--arg {name} "${name.upper()}"')
        uploads = _curl_upload(inputs.assets) + uploads + \
            f"BODY=$(jq -n {' '.join(args)} {shlex.quote(body)})\n\n"
        data = '-d "$BODY"'
    ext = str(request.params.get("output_format", "mp4"))
    return f'''BASE_URL="${{OXEN_BASE_URL:-}}"
[ -n "$BASE_URL" ] || BASE_URL={shlex.quote(base_url)}
AUTH="Authorization: Bearer {key}"

{uploads}# Enqueue, capture the generation id.
GEN_ID=$(curl -s -X POST "$BASE_URL/ai/queue" \\
  -H "Content-Type: application/json" \\
  -H "$AUTH" \\
  {data} | jq -r '.generations[0].generation_id')

# Poll until the generation reaches a terminal status.
while true; do
  STATUS=$(curl -s -H "$AUTH" "$BASE_URL/ai/queue/$GEN_ID" | jq -r '.status')
  echo "Status: $STATUS"
  case $STATUS in succeeded|failed|cancelled) break;; esac
  sleep 5
done

# Download the result.
URL=$(curl -s -H "$AUTH" "$BASE_URL/ai/queue/$GEN_ID" | jq -r '.result_url')
curl -s -H "$AUTH" -o "$GEN_ID.{ext}" "$URL" && echo "saved $GEN_ID.{ext}"
'''


def _httpx_upload(assets: AssetsRepo) -> str:
    return f'''# Local inputs go to this repository, named by their SHA-256 (uploaded once).
ASSETS = {_literal(assets.namespace)}, {_literal(assets.name)}, {_literal(assets.branch)}


def upload(client, path, extension):
    """Put a local file in the assets repository (unless it is there); its URL."""
    data = Path(path).read_bytes()
    namespace, repo, branch = ASSETS
    name = f"{INPUTS_FOLDER}/{{hashlib.sha256(data).hexdigest()}}.{{extension}}"
    url = f"{{BASE_URL}}/repos/{{namespace}}/{{repo}}/file/{{branch}}/{{name}}"
    if client.head(url).status_code != 200:
        created = client.post("/repos", json={{"namespace": namespace, "name": repo}})
        if created.status_code != 409:  # 409: it exists already
            created.raise_for_status()
        client.put(url, files={{"file": (Path(path).name, data)}}).raise_for_status()
    return url


'''


def _curl_upload(assets: AssetsRepo) -> str:
    return f'''# Local inputs go to this repository, named by their SHA-256 (uploaded once).
NAMESPACE={shlex.quote(assets.namespace)}
REPO={shlex.quote(assets.name)}
BRANCH={shlex.quote(assets.branch)}
upload() {{  # upload FILE EXTENSION: prints the file's URL
  local sum url
  sum=$(sha256sum "$1" | cut -d" " -f1)
  url="$BASE_URL/repos/$NAMESPACE/$REPO/file/$BRANCH/{INPUTS_FOLDER}/$sum.$2"
  if [ "$(curl -s -o /dev/null -w "%{{http_code}}" -I -H "$AUTH" "$url")" != 200 ]; then
    # Create the repository (409 when it exists already), then put the file there.
    curl -s -o /dev/null -X POST "$BASE_URL/repos" -H "$AUTH" \\
      -H "Content-Type: application/json" \\
      -d "{{\\"namespace\\": \\"$NAMESPACE\\", \\"name\\": \\"$REPO\\"}}"
    curl -s -f -o /dev/null -X PUT "$url" -H "$AUTH" -F "file=@$1" || return 1
  fi
  echo "$url"
}}
'''


def _python_dict(value: dict[str, Any], calls: Mapping[str, str] | None = None) -> str:
    """A dict literal; a value (or list item) in `calls` is written as that expression."""
    def item(v: Any) -> str:
        if isinstance(v, list):
            return "[" + ", ".join(item(x) for x in v) + "]"
        return calls[v] if calls and isinstance(v, str) and v in calls else _literal(v)

    lines = "".join(f"    {_literal(k)}: {item(v)},\n" for k, v in value.items())
    return "{\n" + lines + "}"
