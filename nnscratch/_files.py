"""Atomic writes: every file nnscratch writes appears whole or not at all.

The content goes to a fresh temporary file beside the target, is flushed to
disk, and is then renamed over the target (``os.replace`` is atomic on one
file system). A crash or an error on the way leaves the old file untouched
and removes the temporary one.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_path(path, *, make_folder: bool = False) -> Iterator[Path]:
    """Yield a temporary path to write to; on success it replaces ``path``.

    The temporary name keeps ``path``'s suffix (writers such as matplotlib
    choose the format from it) and is created with O_EXCL and mode 0o666
    minus the umask, like any new file.
    """
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"{path} is a folder; give a file name inside it")
    folder = path.parent
    if make_folder:
        folder.mkdir(parents=True, exist_ok=True)
    elif not folder.is_dir():
        raise FileNotFoundError(f"no folder {folder} to write {path.name} into")
    tmp = folder / f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp{path.suffix}"
    os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666))
    try:
        yield tmp
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        if tmp.exists():
            tmp.unlink()
        raise


def write_bytes(path, data: bytes, *, make_folder: bool = False) -> Path:
    """Write ``data`` to ``path`` atomically."""
    with atomic_path(path, make_folder=make_folder) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def write_text(path, text: str, *, make_folder: bool = False) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    return write_bytes(path, text.encode("utf-8"), make_folder=make_folder)
