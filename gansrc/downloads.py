"""Downloads that cannot hurt: checked against a checksum before use, unpacked only inside
their folder.

Three rules, each with a test in ``tests/test_reliability.py``:

* ``fetch`` writes to a temporary file and renames it into place only once the download is
  complete and its SHA-256 matches, so a half-downloaded or tampered file is never used.
  When no checksum has been published for a file (the pix2pix and CycleGAN archives), the
  first complete download records its SHA-256 beside it (``<file>.sha256``) and every later
  use is checked against that record ("trust on first use").
* ``safe_extract`` refuses any archive member that would land outside the target folder
  (``../`` paths, absolute paths, links pointing out), for tar and zip alike, before writing
  anything.
* Nothing downloaded is unpickled: weights are read with ``torch.load(weights_only=True)``.

``download_errors()`` lists what a failed download raises, for the loaders that fall back to
offline data: only those are caught, so a programming error still surfaces as itself.
"""
from __future__ import annotations

import hashlib
import os
import pickle
import sys
import tarfile
import tempfile
import urllib.request
import zipfile
from pathlib import Path
from typing import Optional

from .text import tr


class DownloadError(RuntimeError):
    """A download that failed, did not match its checksum, or an unsafe archive."""


def download_errors() -> tuple[type[BaseException], ...]:
    """The exceptions a failed download raises, and nothing else.

    OSError covers urllib's URLError and HTTPError, timeouts, refused connections, a missing or
    unwritable file, a truncated gzip and requests' errors (gdown, CelebA's Google Drive).
    RuntimeError covers a checksum mismatch (``DownloadError``, torchvision's "File not found
    or corrupted" and "Dataset not found", torch.hub's hash check, a corrupt weights file).
    A broken archive raises BadZipFile, TarError or EOFError; a corrupt weights cache
    UnpicklingError; gdown's own errors (a Google Drive quota) are added once gdown is loaded.
    NameError, TypeError, AttributeError and the like are not in the list.
    """
    errors: tuple[type[BaseException], ...] = (
        OSError, RuntimeError, zipfile.BadZipFile, tarfile.TarError, EOFError, pickle.UnpicklingError)
    gdown = sys.modules.get("gdown.exceptions")
    if gdown is not None:
        errors += (gdown.DownloadError,)
    return errors


def failure_reason(exc: BaseException) -> str:
    """A failed download in a few words: the exception's name and the first line of its message."""
    first = str(exc).splitlines()[0][:80] if str(exc) else tr("no_details")
    return f"{type(exc).__name__}: {first}"


def sha256sum(path: Path, chunk: int = 1 << 20) -> str:
    """The SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def verify(path: Path, sha256: Optional[str] = None) -> str:
    """Check ``path`` against ``sha256`` or, without one, against the ``.sha256`` record kept
    beside it (written at the first download). Returns the checksum; raises DownloadError."""
    path = Path(path)
    record = path.with_name(path.name + ".sha256")
    expected = sha256 or (record.read_text().split()[0] if record.exists() else None)
    actual = sha256sum(path)
    if expected is None:
        record.write_text(f"{actual}  {path.name}\n")
    elif actual != expected.lower():
        raise DownloadError(f"{path} has SHA-256 {actual[:16]}..., expected {expected[:16]}...: "
                            "the file is incomplete or was changed. Delete it to download it again.")
    return actual


def fetch(url: str, destination: Path, sha256: Optional[str] = None, timeout: float = 60.0) -> Path:
    """Download ``url`` to ``destination`` (once), verify it and return its path.

    An existing file is verified rather than downloaded again. The download goes to a
    temporary file in the same folder and is renamed into place only after it matched.
    """
    destination = Path(destination)
    if destination.exists():
        verify(destination, sha256)
        return destination
    destination.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{destination.name}.", suffix=".part", dir=destination.parent)
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as response:
            while block := response.read(1 << 20):
                out.write(block)
        actual = sha256sum(Path(tmp))
        if sha256 is not None and actual != sha256.lower():
            raise DownloadError(f"{url} arrived with SHA-256 {actual[:16]}..., expected {sha256[:16]}...; not used.")
        os.replace(tmp, destination)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    if sha256 is None:
        destination.with_name(destination.name + ".sha256").write_text(f"{actual}  {destination.name}\n")
    return destination


def _within(root: Path, path: Path) -> bool:
    path = path.resolve()
    return path == root or root in path.parents


def safe_extract(archive: Path, target: Path) -> Path:
    """Unpack a .tar(.gz) or .zip archive into ``target``, refusing members outside it.

    Every member is checked before anything is written: a path that resolves outside
    ``target`` (``../x``, ``/etc/x``), and for tar a link whose destination does, raises
    DownloadError naming the member; so do device files and other special members.
    """
    archive, target = Path(archive), Path(target)
    target.mkdir(parents=True, exist_ok=True)
    root = target.resolve()
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as z:
            for name in z.namelist():
                if not _within(root, root / name):
                    raise DownloadError(f"{archive.name}: member {name!r} would be written outside {target}; refused.")
            z.extractall(root)
        return target
    try:
        tar = tarfile.open(archive)
    except tarfile.TarError as exc:
        raise DownloadError(f"{archive} is not a readable tar or zip archive ({exc}).") from exc
    with tar:
        members = tar.getmembers()
        for m in members:
            if not _within(root, root / m.name):
                raise DownloadError(f"{archive.name}: member {m.name!r} would be written outside {target}; refused.")
            if m.issym() or m.islnk():
                base = (root / m.name).parent if m.issym() else root  # hard links name a member path
                if not _within(root, base / m.linkname):
                    raise DownloadError(f"{archive.name}: link {m.name!r} -> {m.linkname!r} points outside {target}; refused.")
            elif not (m.isfile() or m.isdir()):
                raise DownloadError(f"{archive.name}: member {m.name!r} is a special file; refused.")
        if hasattr(tarfile, "data_filter"):  # the standard library's own check, where it exists
            tar.extractall(root, members=members, filter="data")
        else:  # pragma: no cover
            tar.extractall(root, members=members)
    return target
