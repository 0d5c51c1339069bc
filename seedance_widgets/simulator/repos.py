"""Oxen repositories in miniature: where image-to-video and reference inputs are uploaded.

Each repository keeps its files per branch under the simulator's own folder, as plain files
(`<root>/<namespace>/<repo>/<branch>/<path>`); every upload is a commit of its own. A branch
exists once something is uploaded to it.
"""

from __future__ import annotations

import hashlib
import re
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote

from starlette.routing import compile_path

__all__ = ["FILE_PATH", "REPOS_PATH", "RepoError", "Repos", "Upload"]

REPOS_PATH = "/api/repos"  # POST creates a repository
# The file route (a Starlette template): GET serves a file, HEAD checks it, PUT uploads.
FILE_PATH = "/api/repos/{namespace}/{repo}/file/{branch}/{path:path}"
_FILE_URL_PATH = compile_path(FILE_PATH)[0]
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


class RepoError(ValueError):
    """A repository name or file path the simulator refuses (answered 400)."""


@dataclass(frozen=True)
class Upload:
    """One file of an upload: where it goes in the repository, and its bytes."""

    path: str
    data: bytes


@dataclass
class _Repo:
    namespace: str
    name: str
    description: str
    created_at: str = field(default_factory=lambda: _timestamp(time.time()))

    def to_json(self) -> dict[str, Any]:
        return {"namespace": self.namespace, "name": self.name,
                "description": self.description, "created_at": self.created_at}


class Repos:
    """Every repository of one simulator, with its files under `root`."""

    def __init__(self, root: Path):
        self.root = root
        self._repos: dict[tuple[str, str], _Repo] = {}

    def create(self, namespace: str, name: str, description: str = "") -> dict[str, Any] | None:
        """The new repository, or None when it already exists."""
        key = (_checked_name(namespace, "namespace"), _checked_name(name, "name"))
        if key in self._repos:
            return None
        repo = self._repos[key] = _Repo(namespace, name, description)
        return repo.to_json()

    def exists(self, namespace: str, name: str) -> bool:
        return (namespace, name) in self._repos

    def put(self, namespace: str, name: str, branch: str, uploads: list[Upload], *,
            message: str, author: dict[str, str]) -> dict[str, Any]:
        """Write `uploads` to `branch` as one commit; the answer of the upload route."""
        targets = [(self._file(namespace, name, branch, u.path), u) for u in uploads]
        for target, upload in targets:
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_name(f".{target.name}.{uuid.uuid4().hex}.part")
            partial.write_bytes(upload.data)
            partial.replace(target)
        files = [{"path": u.path, "size": len(u.data),
                  "hash": "sha256:" + hashlib.sha256(u.data).hexdigest()} for _, u in targets]
        commit = {"id": uuid.uuid4().hex, "message": message, "author": author,
                  "timestamp": _timestamp(time.time())}
        return {"commit": commit, **({"file": files[0]} if len(files) == 1 else {"files": files})}

    def file(self, namespace: str, name: str, branch: str, path: str) -> Path | None:
        """The stored file at `path` on `branch`, or None (unknown repository, bad path too)."""
        if not self.exists(namespace, name):
            return None
        try:
            target = self._file(namespace, name, branch, path)
        except RepoError:
            return None
        return target if target.is_file() else None

    def file_at(self, url_path: str) -> Path | None:
        """The stored file a URL path (`/api/repos/{ns}/{repo}/file/{branch}/{path}`) names;
        None when the path is not a repository file's; FileNotFoundError when it is, but no
        such file is stored."""
        match = _FILE_URL_PATH.match(unquote(url_path))
        if match is None:
            return None
        found = self.file(*match.group("namespace", "repo", "branch", "path"))
        if found is None:
            raise FileNotFoundError(url_path)
        return found

    def _file(self, namespace: str, name: str, branch: str, path: str) -> Path:
        parts = PurePosixPath(path).parts
        if not parts or any(p in ("", ".", "..") or p.startswith(".") for p in parts) \
                or path.startswith("/") or "\\" in path:
            raise RepoError(f"not a file path in a repository: {path!r}")
        return self.root / namespace / name / _checked_name(branch, "branch") / Path(*parts)


def _checked_name(value: Any, what: str) -> str:
    if not isinstance(value, str) or not _NAME.fullmatch(value):
        raise RepoError(f"{what} must be letters, digits, '.', '_' or '-' (got {value!r})")
    return value


def _timestamp(seconds: float) -> str:
    return datetime.fromtimestamp(int(seconds), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
