"""`OxenClient`: the blocking facade over `AsyncOxenClient`'s operations, for scripts.

Each method runs the async client's method of the same name on a private loop in a daemon
thread (`loop.LoopThread`), so it works in plain scripts and inside notebook cells alike.
For whole jobs with the ledger's guarantees, use `Studio` (it also runs outside a kernel).
"""

from __future__ import annotations

import builtins
from pathlib import Path
from typing import Any

from .._contract.billing import BilledGeneration, GenerationsPage
from .._contract.request import VideoRequest
from .._contract.schema import ModelSpec
from .._contract.status import Generation, Status
from .client import AsyncOxenClient, SyncVideo
from .loop import LoopThread
from .retry import RetryPolicy
from .settings import ApiKey, Settings

__all__ = ["OxenClient"]


class OxenClient:
    """Blocking twin of `AsyncOxenClient`: the same constructor and operations."""

    def __init__(self, api_key: str | ApiKey | None = None, base_url: str | None = None, *,
                 settings: Settings | None = None, retry: RetryPolicy | None = None):
        api_key = ApiKey.wrap(api_key)
        self._loop = LoopThread("seedance-client")

        async def make() -> AsyncOxenClient:  # on the private loop: its connections live there
            return AsyncOxenClient(api_key, base_url, settings=settings, retry=retry)

        self._client = self._loop.run(make())

    def __repr__(self) -> str:
        settings = getattr(getattr(self, "_client", None), "settings", None)
        return f"OxenClient(base_url={getattr(settings, 'base_url', None)!r})"

    def __enter__(self) -> OxenClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._loop.run(self._client.aclose())
        self._loop.close()

    @property
    def settings(self) -> Settings:
        return self._client.settings

    def models(self) -> builtins.list[dict[str, Any]]:
        return self._loop.run(self._client.models())

    def model_spec(self, model_id: str) -> ModelSpec:
        return self._loop.run(self._client.model_spec(model_id))

    def file_url(self, namespace: str, repo: str, branch: str, path: str) -> str:
        return self._client.file_url(namespace, repo, branch, path)

    def create_repo(self, namespace: str, name: str, *, description: str = "") -> bool:
        return self._loop.run(self._client.create_repo(namespace, name,
                                                       description=description))

    def upload_file(self, namespace: str, repo: str, branch: str, path: str, data: bytes, *,
                    content_type: str = "application/octet-stream",
                    message: str = "Upload an input") -> dict[str, Any]:
        return self._loop.run(self._client.upload_file(
            namespace, repo, branch, path, data, content_type=content_type, message=message))

    def file_exists(self, namespace: str, repo: str, branch: str, path: str) -> bool:
        return self._loop.run(self._client.file_exists(namespace, repo, branch, path))

    def fetch_media(self, url: str, max_bytes: int) -> bytes:
        return self._loop.run(self._client.fetch_media(url, max_bytes))

    def generate(self, request: VideoRequest, *, response_format: str = "url",
                 timeout: float | None = None) -> list[SyncVideo]:
        return self._loop.run(self._client.generate(request, response_format=response_format,
                                                    timeout=timeout))

    def enqueue(self, request: VideoRequest, num_generations: int = 1) -> list[Generation]:
        return self._loop.run(self._client.enqueue(request, num_generations))

    def enqueue_once(self, request: VideoRequest,
                     num_generations: int = 1) -> list[Generation]:
        return self._loop.run(self._client.enqueue_once(request, num_generations))

    def find_candidates(self, request: VideoRequest, *, since: float,
                        until: float | None = None) -> list[Generation]:
        return self._loop.run(self._client.find_candidates(request, since=since, until=until))

    def get(self, generation_id: str) -> Generation:
        return self._loop.run(self._client.get(generation_id))

    def list(self, *, status: Status | str | None = None, model: str | None = None,
             media_type: str | None = None, namespace: str | None = None,
             repo: str | None = None, folder: str | None = None) -> builtins.list[Generation]:
        return self._loop.run(self._client.list(status=status, model=model,
                                                media_type=media_type, namespace=namespace,
                                                repo=repo, folder=folder))

    def generations(self, *, page: int = 1, page_size: int = 50,
                    status: Status | str | None = None, model: str | None = None,
                    media_type: str | None = None, namespace: str | None = None,
                    repo: str | None = None, folder: str | None = None) -> GenerationsPage:
        return self._loop.run(self._client.generations(
            page=page, page_size=page_size, status=status, model=model, media_type=media_type,
            namespace=namespace, repo=repo, folder=folder))

    def past_generation(self, generation_id: str) -> BilledGeneration:
        return self._loop.run(self._client.past_generation(generation_id))

    def cancel(self, generation_id: str) -> None:
        self._loop.run(self._client.cancel(generation_id))

    def download(self, url: str, dest: Path | str) -> Path:
        return self._loop.run(self._client.download(url, Path(dest)))
