"""The repository routes: create a repository, upload files to it, serve them (GET, HEAD).

Shapes follow the vendor's file-upload guide: `POST /api/repos` answers the repository (201;
409 when it exists); `PUT .../file/{branch}/{path}` takes multipart form data, one `file` at
the full `path`, or several (`file` repeated, or `files[]`) into the directory `path`, with
optional `name`, `email` and `message` for the commit, and answers the commit and the file.
"""

from __future__ import annotations

import asyncio
import mimetypes
from pathlib import PurePosixPath

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from .problems import Reject, invalid, json_object, not_found, problem
from .repos import FILE_PATH, REPOS_PATH, RepoError, Repos, Upload

__all__ = ["REPO_ROUTES"]

_MAX_UPLOAD_BYTES = 100 * 2**20  # per file


def _repos(request: Request) -> Repos:
    repos: Repos = request.app.state.store.repos
    return repos


async def create_repo(request: Request) -> Response:
    body = await json_object(request)
    description = body.get("description")
    try:
        made = _repos(request).create(str(body.get("namespace") or ""),
                                      str(body.get("name") or ""),
                                      description if isinstance(description, str) else "")
    except RepoError as exc:
        raise invalid("Invalid repository", str(exc)) from None
    if made is None:
        raise Reject(problem(409, "conflict", "Repository already exists",
                             f"{body['namespace']}/{body['name']} already exists"))
    return JSONResponse(made, status_code=201)


async def upload_files(request: Request) -> Response:
    repos, where = _repos(request), request.path_params
    if not repos.exists(where["namespace"], where["repo"]):
        raise not_found()
    async with request.form() as form:
        single, several = form.getlist("file"), form.getlist("files[]")
        sent = [f for f in (*single, *several) if isinstance(f, UploadFile)]
        if not sent:
            raise invalid("No file", "Send the file as multipart form data in the `file` field")
        uploads = []
        for upload in sent:
            if upload.size is not None and upload.size > _MAX_UPLOAD_BYTES:
                raise invalid("File too large", f"{upload.filename}: over 100 MB")
            name = PurePosixPath(upload.filename or "").name
            if len(sent) > 1 and not name:
                raise invalid("Invalid upload", "each of several files needs a file name")
            path = where["path"] if len(sent) == 1 and not several else f"{where['path']}/{name}"
            uploads.append(Upload(path, await upload.read()))
        message = str(form.get("message") or f"Upload {len(uploads)} file(s)")
        author = {"name": str(form.get("name") or ""), "email": str(form.get("email") or "")}
    try:
        answer = await asyncio.to_thread(repos.put, where["namespace"], where["repo"],
                                         where["branch"], uploads, message=message,
                                         author=author)
    except RepoError as exc:
        raise invalid("Invalid file path", str(exc)) from None
    return JSONResponse(answer)


async def serve_file(request: Request) -> Response:
    """The file's bytes with a content type guessed from its name (HEAD: the headers only)."""
    where = request.path_params
    path = _repos(request).file(where["namespace"], where["repo"], where["branch"],
                                where["path"])
    if path is None:
        raise not_found()
    media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return FileResponse(path, media_type=media_type)


REPO_ROUTES = [
    Route(REPOS_PATH, create_repo, methods=["POST"]),
    Route(FILE_PATH, upload_files, methods=["PUT"]),
    Route(FILE_PATH, serve_file, methods=["GET"]),  # Starlette answers HEAD here too
]
