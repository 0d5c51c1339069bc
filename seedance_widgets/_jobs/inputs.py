"""Input media from local files: checked, given a content-addressed URL, uploaded once.

The service takes URLs. A media field may instead name a local file (`still.png`): before
anything is uploaded or paid for, every such file is checked (it exists; its magic bytes show
a format its field allows; at most 30 MB) along with the whole request (counts of references
included), then given the URL it will have in the user's assets repository,
`seedance-inputs/<sha256>.<ext>`. Equal bytes always get the same URL, so the request, and
with it the cache key, is the same on every run.

`Uploader.ensure` then puts the files there before the job's intent is written: a file the
ledger already records is not touched (no request at all); one the repository already has
is recorded without sending it; otherwise the repository is created if missing (409 means
it exists) and the file uploaded. One upload per content at a time, across processes too.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from filelock import AsyncFileLock

from .._contract.media_formats import (
    EXTENSIONS,
    MAX_INPUT_BYTES,
    MIME_TYPES,
    SNIFF_BYTES,
    allowed_text,
    medium_of,
    sniff,
)
from .._contract.request import VideoRequest, is_local_path, validate_params
from .._contract.schema import FieldSpec, ModelSpec
from ..errors import InvalidRequestError
from .ledger import Ledger

if TYPE_CHECKING:
    from .._transport.client import AsyncOxenClient

__all__ = ["INPUTS_FOLDER", "SIMULATOR_ASSETS", "AssetsRepo", "LocalInput", "MediaInputs",
           "PreparedRequest", "Uploader", "check_local_file", "request_identity"]

INPUTS_FOLDER = "seedance-inputs"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
WHERE_TO_SET = ('Studio(assets_repo="namespace/repo"), the OXEN_ASSETS_REPO variable or '
                "the CLI's --assets-repo")


@dataclass(frozen=True)
class AssetsRepo:
    """The repository local input files are uploaded to (`namespace/name`, branch `main`)."""

    namespace: str
    name: str
    branch: str = "main"

    @classmethod
    def parse(cls, text: Any, field: str = "assets_repo") -> AssetsRepo:
        """`"namespace/repo"` → the repository; anything else is refused naming `field`."""
        parts = text.split("/") if isinstance(text, str) else []
        if len(parts) != 2 or not all(_NAME.fullmatch(p) for p in parts):
            raise InvalidRequestError(field, text, '"namespace/repo" (letters, digits, '
                                      "'.', '_' or '-')")
        return cls(parts[0], parts[1])

    def __str__(self) -> str:
        return f"{self.namespace}/{self.name}"


# On the simulator local files just work: they go to this repository unless one is given.
SIMULATOR_ASSETS = AssetsRepo("simulator", "seedance-assets")


@dataclass(frozen=True)
class LocalInput:
    """A local file given for a media field, and where it goes."""

    field: str
    path: str  # as the user wrote it
    checksum: str  # sha256 of its bytes
    size: int
    format: str  # as `media_formats.sniff` names it
    assets: AssetsRepo
    url: str

    @property
    def repo_path(self) -> str:
        return f"{INPUTS_FOLDER}/{self.checksum}.{EXTENSIONS[self.format]}"

    @property
    def content_type(self) -> str:
        return MIME_TYPES[self.format]


@dataclass(frozen=True)
class PreparedRequest:
    """A validated request whose local files have their URLs, and the uploads it needs."""

    request: VideoRequest
    uploads: tuple[LocalInput, ...] = ()

    def local_paths(self) -> dict[str, str]:
        """Each upload's URL → the local path it came from (for exported code)."""
        return {u.url: u.path for u in self.uploads}


def check_local_file(fs: FieldSpec, value: str) -> tuple[str, str, int]:
    """(format, sha256, size) of the local file `value` given for `fs`; refused, naming the
    field, when it is missing, too large, or not a format the field allows."""
    medium = fs.media
    allowed = (f"an http(s) URL, or a local {allowed_text(medium)} file of at most "
               f"{MAX_INPUT_BYTES // 1_000_000} MB")
    path = Path(value).expanduser()
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise InvalidRequestError(fs.name, value, allowed, reason="is not a file")
        with path.open("rb") as handle:
            head = handle.read(SNIFF_BYTES)
    except OSError as exc:
        reason = ("is neither a URL nor a file that exists" if isinstance(exc, FileNotFoundError)
                  else f"cannot be read ({exc.strerror or exc})")
        raise InvalidRequestError(fs.name, value, allowed, reason=reason) from None
    if size > MAX_INPUT_BYTES:
        raise InvalidRequestError(fs.name, value, allowed,
                                  reason=f"is {size / 1_000_000:.1f} MB")
    fmt = sniff(head)
    if medium_of(fmt) != medium:
        shown = f"{'an' if fmt[0] in 'AEIMO' else 'a'} {fmt} file" if fmt \
            else "not a format its bytes show"
        raise InvalidRequestError(fs.name, value, allowed, reason=f"is {shown}")
    assert fmt is not None
    return fmt, _sha256(path), size


class MediaInputs:
    """Turns form values (URLs or local paths) into a request, before anything is sent.

    `assets` is where local files go (None: local files are refused, naming the ways to set
    one); `base_url` is the API's, under which the repository serves them.
    """

    def __init__(self, assets: AssetsRepo | None, base_url: str):
        self.assets = assets
        self.base_url = base_url.rstrip("/")

    def prepare(self, spec: ModelSpec, params: Mapping[str, Any]) -> PreparedRequest:
        """Validate `params` for `spec` (local paths allowed where media go), check every
        local file, and build the request with their URLs. Raises `InvalidRequestError`
        naming the first problem; nothing is uploaded here."""
        checked = validate_params(spec, params, local_files=True)
        uploads: list[LocalInput] = []
        values = dict(checked)
        for fs in spec.media_fields:
            value = checked.get(fs.name)
            if isinstance(value, list):
                values[fs.name] = [self._url_of(fs, v, uploads) for v in value]
            elif value is not None:
                values[fs.name] = self._url_of(fs, value, uploads)
        request = VideoRequest(spec=spec, **values)
        return PreparedRequest(request, tuple(uploads))

    def _url_of(self, fs: FieldSpec, value: Any, uploads: list[LocalInput]) -> Any:
        if not is_local_path(value):
            return value
        fmt, checksum, size = check_local_file(fs, value)
        if self.assets is None:
            raise InvalidRequestError(
                fs.name, value, f"an http(s) URL, or set an assets repository to upload local "
                                f"files to: {WHERE_TO_SET}",
                reason="is a local file, and no assets repository is set")
        # The transport (httpx and all) is imported once a request is made, not with Studio.
        from .._transport.client import repo_file_path

        path = f"{INPUTS_FOLDER}/{checksum}.{EXTENSIONS[fmt]}"
        url = self.base_url + repo_file_path(self.assets.namespace, self.assets.name,
                                             self.assets.branch, path)
        uploads.append(LocalInput(fs.name, value, checksum, size, fmt, self.assets, url))
        return url


class Uploader:
    """Puts local inputs into their repository, once per content (see the module doc)."""

    def __init__(self, client: AsyncOxenClient, ledger: Ledger, namespace: str):
        self.client = client
        self.ledger = ledger
        self.namespace = namespace
        self._running: dict[str, asyncio.Future[None]] = {}
        self._repos_ready: set[AssetsRepo] = set()

    async def ensure(self, uploads: Sequence[LocalInput]) -> None:
        """Every one of `uploads` is in its repository (and recorded) when this returns."""
        distinct = {u.url: u for u in uploads}
        await asyncio.gather(*(self._once(u) for u in distinct.values()))

    async def _once(self, upload: LocalInput) -> None:
        running = self._running.get(upload.url)
        if running is None:
            running = self._running[upload.url] = asyncio.ensure_future(self._put(upload))
            running.add_done_callback(lambda _: self._running.pop(upload.url, None))
        await asyncio.shield(running)

    async def _put(self, upload: LocalInput) -> None:
        if self.ledger.upload_of(self.namespace, upload.url) is not None:
            return
        async with AsyncFileLock(_lock_path(upload.checksum)):
            if self.ledger.upload_of(self.namespace, upload.url) is not None:
                return  # another process put it there meanwhile
            data = await asyncio.to_thread(Path(upload.path).expanduser().read_bytes)
            if hashlib.sha256(data).hexdigest() != upload.checksum:
                raise InvalidRequestError(upload.field, upload.path, "the file as it was when "
                                          "the request was made", reason="changed since")
            repo = upload.assets
            where = (repo.namespace, repo.name, repo.branch, upload.repo_path)
            how = "found"
            if not await self.client.file_exists(*where):
                if repo not in self._repos_ready:
                    await self.client.create_repo(repo.namespace, repo.name,
                                                  description="Inputs for Seedance generations")
                    self._repos_ready.add(repo)
                await self.client.upload_file(*where, data, content_type=upload.content_type,
                                              message=f"Seedance input {upload.checksum[:12]}")
                how = "uploaded"
            self.ledger.upload(self.namespace, url=upload.url, checksum=upload.checksum,
                               local_path=str(Path(upload.path).expanduser().resolve()),
                               size=upload.size, how=how)


def request_identity(request: VideoRequest, base_url: str) -> str:
    """The request's canonical JSON with its backend's own address left out of input URLs
    (`{api}/repos/...`): what the cache and the intents key it by. The embedded simulator
    listens on a new port in every process, and a file in the backend's own repository is
    the same file whatever port its URL names."""
    own = base_url.rstrip("/") + "/repos/"
    text = request.canonical_json()
    return text.replace(json.dumps(own)[1:-1], "{api}/repos/") if own in text else text


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _lock_path(checksum: str) -> Path:
    return Path(tempfile.gettempdir()) / f"seedance-upload-{checksum[:32]}.lock"
