"""A report's file sent to the client (`DownloadHistoryReport`, `/reports/files/{id}`)."""

from __future__ import annotations

import asyncio
import gzip
from pathlib import Path

from aiohttp import web

CHUNK = 1 << 16


async def send_file(request: web.Request, path: Path, name: str) -> web.StreamResponse:
    """A report's file as CSV: the stored gzip bytes as they are (`Content-Encoding:
    gzip`) when the client accepts gzip, else decompressed as it goes out."""
    gzipped = "gzip" in request.headers.get("Accept-Encoding", "").lower()
    response = web.StreamResponse(headers={
        "Content-Type": "text/csv; charset=utf-8",
        "Content-Disposition": f'attachment; filename="{name}"'})
    if gzipped:
        response.headers["Content-Encoding"] = "gzip"
        response.content_length = path.stat().st_size
    # Opened and closed in this task (a cancellation cannot strand the handle in a
    # thread); only the reads, which may wait on the disk, run in threads.
    with (open(path, "rb") if gzipped else gzip.open(path, "rb")) as handle:
        await response.prepare(request)
        while data := await asyncio.to_thread(handle.read, CHUNK):
            await response.write(data)
    await response.write_eof()
    return response
