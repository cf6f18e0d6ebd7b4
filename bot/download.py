"""Downloading an upload to disk, never more than the byte cap, whatever size it claimed.

`File.download_as_bytearray` holds the whole file in memory before anyone can look at its size, and
both `file_size` values (the message's and getFile's) are only claims: with no size or a false one, a
1 GB upload took the process to a 4.6 GB peak. Here the body is streamed to a file and the download
stops at the first byte over the cap. PTB has no capped download, hence httpx's streaming directly.
"""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import httpx
from telegram import File
from telegram._utils.files import is_local_file

from retrieval.errors import ArticlebotError

CHUNK = 64 * 1024


class TooLarge(ArticlebotError):
    """The upload is over the size limit."""


async def download_capped(file: File, dest: Path, limit: int, timeout: float) -> int:
    """Write `file` to `dest` and return its size; TooLarge as soon as it passes `limit` bytes."""
    if not file.file_path:
        raise ArticlebotError("Telegram gave no download path for this file")
    if is_local_file(file.file_path):  # a local Bot API server hands out paths on this machine
        source = Path(file.file_path)
        size = source.stat().st_size
        if size > limit:
            raise TooLarge(f"{size} bytes")
        await asyncio.to_thread(shutil.copyfile, source, dest)
        return size
    received = 0
    async with httpx.AsyncClient(timeout=timeout) as client:
        async with client.stream("GET", file.file_path) as response:
            response.raise_for_status()
            with dest.open("wb") as out:
                async for chunk in response.aiter_bytes(CHUNK):
                    received += len(chunk)
                    if received > limit:
                        raise TooLarge(f"more than {limit} bytes")
                    out.write(chunk)
    return received
