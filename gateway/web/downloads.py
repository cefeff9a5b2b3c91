"""A report's file sent to the client (`DownloadHistoryReport`, `/reports/files/{id}`)."""

from __future__ import annotations

import asyncio
import gzip
from pathlib import Path

from aiohttp import web

CHUNK = 1 << 16


CSV_TYPE = "text/csv; charset=utf-8"
OCTET_STREAM = "application/octet-stream"  # as Voximplant's clients expect the file


async def send_file(request: web.Request, path: Path, name: str,
                    content_type: str = CSV_TYPE) -> web.StreamResponse:
    """A report's file (CSV) as `content_type`: the stored gzip bytes as they are
    (`Content-Encoding: gzip`) when the client accepts gzip, else decompressed as it goes
    out."""
    gzipped = "gzip" in request.headers.get("Accept-Encoding", "").lower()
    response = web.StreamResponse(headers={
        "Content-Type": content_type,
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
