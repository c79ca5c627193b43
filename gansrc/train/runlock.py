"""One owner per run folder: a lock file that ``fit`` holds while it trains.

Two runs writing one ``checkpoint_dir`` (two notebook tabs, a Colab session and a local one on
the same Drive folder) would delete each other's files and resume each other's weights. So
``fit`` first creates ``.lock`` in the folder, atomically (``O_EXCL``), holding the owner's
process id, host name and start time, and removes it when it returns or raises. A second run
is refused with a message naming the holder.

A run killed outright (SIGKILL, a lost Colab VM) cannot remove its lock. The lock is stale,
and is taken over with one line saying so, when its process is gone from this host, or when
its owner has not refreshed it (``heartbeat``, called as training goes on) for ``STALE_AFTER``
seconds: a process on another machine cannot be asked whether it is alive. A lock of this very
process is stale too (a notebook runs one ``fit`` at a time; two threads training into one
folder are not supported).
"""
from __future__ import annotations

import json
import os
import socket
import time
import uuid
from datetime import datetime
from pathlib import Path
from typing import Optional

from ..text import tr

LOCK_NAME = ".lock"
STALE_AFTER = 600.0  # seconds without a heartbeat after which another host's lock is abandoned
_HEARTBEAT_EVERY = 30.0


class FolderInUseError(RuntimeError):
    """The run folder is being written by another run (the message names it)."""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


class RunLock:
    """The lock of one run folder; ``acquire`` and ``release`` (or ``with lock:``)."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.path = self.folder / LOCK_NAME
        self.token: Optional[str] = None
        self._beat = 0.0

    def _holder(self) -> Optional[dict]:
        try:
            info = json.loads(self.path.read_text())
            return info if isinstance(info, dict) else {}
        except FileNotFoundError:
            return None
        except (OSError, ValueError):  # half-written by a process killed while creating it
            return {}

    def _stale_reason(self, info: dict) -> Optional[str]:
        """Why the lock described by ``info`` is abandoned, or None if its owner may be running."""
        try:
            age = time.time() - self.path.stat().st_mtime
        except FileNotFoundError:
            return tr("lock_gone")
        if not info:
            return tr("lock_unreadable") if age > 5.0 else None
        if info.get("host") == socket.gethostname():
            pid = int(info.get("pid", -1))
            if pid == os.getpid():  # a notebook runs one fit at a time: an earlier, interrupted one left it
                return tr("lock_earlier_fit")
            if not _alive(pid):
                return tr("lock_dead", pid=pid)
        if age > STALE_AFTER:
            return tr("lock_old", minutes=age / 60)
        return None

    def acquire(self) -> None:
        """Take the lock, or raise ``FolderInUseError`` naming the run that holds it."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except FileExistsError as exc:
            raise NotADirectoryError(f"checkpoint_dir {self.folder} is a file, not a folder; choose another path.") from exc
        token = uuid.uuid4().hex
        info = {"pid": os.getpid(), "host": socket.gethostname(), "started": datetime.now().isoformat(timespec="seconds"),
                "token": token}
        for _ in range(3):
            try:
                fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            except FileExistsError:
                holder = self._holder()
                if holder is None:
                    continue  # released meanwhile: try again
                reason = self._stale_reason(holder)
                if reason is None:
                    raise FolderInUseError(
                        f"{self.folder} is in use by another run: process {holder.get('pid')} on host "
                        f"{holder.get('host')!r}, training since {holder.get('started')}. Two runs in one folder would "
                        "overwrite and resume each other's checkpoints. Wait for it to finish, stop it, or give this "
                        f"run another checkpoint_dir. If that run is really gone, delete {self.path}."
                    ) from None
                print(tr("lock_taken_over", folder=self.folder, pid=holder.get("pid"), host=holder.get("host"),
                         reason=reason))
                self.path.unlink(missing_ok=True)
                continue
            except PermissionError as exc:
                raise PermissionError(f"checkpoint_dir {self.folder} is not writable ({exc.strerror}); "
                                      "choose a folder you can write to.") from exc
            with os.fdopen(fd, "w") as f:
                json.dump(info, f)
            self.token = token
            self._beat = time.monotonic()
            return
        raise FolderInUseError(f"{self.folder}: could not take the lock {self.path} (other runs keep taking it).")

    def heartbeat(self) -> None:
        """Refresh the lock's time stamp (at most every 30 s), so other hosts see this run is alive."""
        if self.token is not None and time.monotonic() - self._beat > _HEARTBEAT_EVERY:
            self._beat = time.monotonic()
            try:
                os.utime(self.path)
            except OSError:
                pass

    def release(self) -> None:
        """Remove the lock if this object holds it (never another run's)."""
        if self.token is None:
            return
        holder = self._holder()
        if holder and holder.get("token") == self.token:
            self.path.unlink(missing_ok=True)
        self.token = None

    def __enter__(self) -> "RunLock":
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()
