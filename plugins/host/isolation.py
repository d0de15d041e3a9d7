"""Third-party backends in a worker process, so that a plugin cannot stop Tinct.

A ``colorize`` that never yields, or a plugin that crashes natively (a segfault in its extension,
``os.abort()``), would otherwise hang or end the app and the command line. Here each such backend
runs in a process of its own (``multiprocessing``, spawn). :class:`RemoteColorizer` stands in for
the backend's instance inside :class:`plugins.host.runner.LoadedBackend`, so every check the host
makes of a backend's events is made as before; only the calls cross the process boundary:

- ``load``/``unload`` start and stop the worker; ``colorize`` is driven one event at a time (the
  host asks for the next event, the worker advances the generator once), so every ``yield`` is
  still a cancel point: closing the host's generator closes the plugin's, in the worker.
- The host waits at most ``timeout_s`` for each answer (the worker's start and ``load``, then each
  event). A worker that does not answer is killed; one that died is noticed at once. Either way
  the caller gets a one-line :class:`PluginError`, the failure is reported (``on_failure``), and
  the next call starts a fresh worker. Other backends never notice.

Tinct's own backends stay in-process by default (``bench/isolation.py`` measures what a worker
costs them); ``TINCT_ISOLATION`` chooses: ``third-party`` (the default), ``all`` or ``none``.
"""

from __future__ import annotations

import contextlib
import importlib
import multiprocessing
import os
import pickle
import signal
import sys
import tempfile
import threading
from dataclasses import dataclass
from typing import Callable, Iterator

import numpy as np

from plugins.errors import PluginError, TinctError
from plugins.host.discovery import PLUGIN_FAILURES, BackendEntry, describe
from plugins.host.runner import inference_mode
from plugins.markers import PROJECT_NAME
from plugins.types import ColorizeOptions, Event, Sample

ISOLATION_ENV = "TINCT_ISOLATION"
TIMEOUT_ENV = "TINCT_PLUGIN_TIMEOUT"
DEFAULT_TIMEOUT_S = 300.0
"""How long a backend in a worker may take to start and load, or between two events of ``colorize``."""
MODES = ("third-party", "all", "none")
DIRECTLY_REGISTERED = "(registered directly)"
START_TIMEOUT_S = 120.0
"""How long a new worker may take to start Python and import the plugin (a busy machine, a cold disk)."""
CLOSE_TIMEOUT_S = 5.0
SHARE_ABOVE_BYTES = 1 << 20
"""A photo's lightness larger than this goes to the worker through shared memory, not the pipe."""
"""How long a closed ``colorize`` may take over its ``finally:`` before its worker is killed."""


@dataclass(frozen=True)
class IsolationPolicy:
    """Which backends run in a worker process, and how long the host waits for one."""

    mode: str = "third-party"
    """``third-party``: backends from distributions other than Tinct (not those handed to
    :meth:`PluginHost.discover` directly); ``all``: every backend; ``none``: none."""
    timeout_s: float = DEFAULT_TIMEOUT_S

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise TinctError(f"{ISOLATION_ENV} must be one of {', '.join(MODES)}, not {self.mode!r}")
        if not self.timeout_s > 0:
            raise TinctError(f"{TIMEOUT_ENV} must be a number of seconds above 0")

    @classmethod
    def from_environment(cls, environ=os.environ) -> IsolationPolicy:
        timeout = environ.get(TIMEOUT_ENV, "").strip()
        try:
            timeout_s = float(timeout) if timeout else DEFAULT_TIMEOUT_S
        except ValueError:
            raise TinctError(f"{TIMEOUT_ENV} must be a number of seconds, not {timeout!r}") from None
        return cls(environ.get(ISOLATION_ENV, "").strip() or "third-party", timeout_s)

    def isolates(self, entry: BackendEntry) -> bool:
        if self.mode == "all":
            return True
        if self.mode == "none":
            return False
        return entry.distribution not in (PROJECT_NAME, DIRECTLY_REGISTERED)


class WorkerGone(Exception):
    """The worker died or did not answer in time (and was killed); the text says which."""


class _Worker:
    """One worker process and the pipe to it. Every request waits at most ``timeout_s`` for its answer."""

    def __init__(self, backend_id: str, cls: type, timeout_s: float):
        self.backend_id = backend_id
        self.timeout_s = timeout_s
        context = multiprocessing.get_context("spawn")
        self.conn, child = context.Pipe()
        self.process = context.Process(target=serve, args=(child, cls.__module__, cls.__qualname__, list(sys.path)),
                                       name=f"tinct-{backend_id}", daemon=True)
        self.process.start()
        child.close()
        self.lock = threading.Lock()

    def request(self, message: tuple | None, what: str, timeout_s: float | None = None) -> tuple:
        """Send ``message`` (None: send nothing) and wait for the answer."""
        with self.lock:
            try:
                if message is not None:
                    self.conn.send(message)
                if not self.conn.poll(self.timeout_s if timeout_s is None else timeout_s):
                    self.kill()
                    limit = self.timeout_s if timeout_s is None else timeout_s
                    raise WorkerGone(f"did not answer within {limit:g} s ({what}); its worker process was stopped")
                return self.conn.recv()
            except (EOFError, BrokenPipeError, ConnectionResetError, OSError):
                raise WorkerGone(f"crashed ({what}): {self.ending()}") from None

    def ending(self) -> str:
        self.process.join(2.0)
        code = self.process.exitcode
        if code is None:
            self.kill()
            return "its worker process stopped answering"
        if code < 0:
            try:
                return f"its worker process was ended by {signal.Signals(-code).name}"
            except ValueError:
                return f"its worker process was ended by signal {-code}"
        return f"its worker process exited with status {code}"

    @property
    def alive(self) -> bool:
        return self.process.is_alive()

    def end_now(self) -> None:
        """Kill the process from any thread; a request waiting on it then fails at once."""
        if self.process.is_alive():
            self.process.kill()

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5.0)
        self.conn.close()

    def stop(self) -> None:
        """Ask the worker to end (unloading the backend), and make sure it does."""
        if self.process.is_alive() and not self.conn.closed:
            try:
                with self.lock:
                    self.conn.send(("stop",))
            except OSError:
                pass
            self.process.join(CLOSE_TIMEOUT_S)
        self.kill()


class RemoteColorizer:
    """Stands in for a backend's instance; the backend itself lives in a worker process.

    ``on_failure(stage, message)`` is told of each crash or timeout. After one, the next
    :meth:`colorize` (or :meth:`load`) starts a fresh worker and loads it on the same device.
    """

    def __init__(self, entry: BackendEntry, policy: IsolationPolicy,
                 on_failure: Callable[[str, str], None] | None = None):
        self.entry = entry
        self.backend_id = entry.info.id
        self.policy = policy
        self.on_failure = on_failure
        self.device: str | None = None
        self._worker: _Worker | None = None
        self._interrupted = False

    # -- the Colorizer interface -------------------------------------------------------------
    def load(self, device: str) -> None:
        self.device = device
        self._start()

    def unload(self) -> None:
        worker, self._worker = self._worker, None
        if worker is not None:
            worker.stop()

    def colorize(self, lightness: np.ndarray, options: ColorizeOptions) -> Iterator[Event]:
        if self._worker is None or not self._worker.alive:
            self._start()  # a fresh worker after a crash or a timeout
        worker = self._worker
        finished = False
        with _shared(lightness) as photo:
            self._answer(worker, ("colorize", photo, options), "starting colorize")
            try:
                while True:
                    reply = self._answer(worker, ("next",), "colorize: waiting for its next event")
                    if reply[0] == "done":
                        finished = True
                        return
                    yield reply[1]
            finally:
                if not finished and worker.alive:
                    self._close_run(worker)

    def interrupt(self) -> bool:
        """End the worker now (from any thread): for a run that was cancelled and does not stop.
        Whatever waits on it fails with a PluginError saying so. False if no worker runs."""
        worker = self._worker
        if worker is None or not worker.alive:
            return False
        self._interrupted = True
        worker.end_now()
        return True

    # -- the worker --------------------------------------------------------------------------
    def _start(self) -> None:
        self.unload()
        if "<locals>" in self.entry.cls.__qualname__:
            raise PluginError(f"{self.backend_id} cannot run in a worker process: its class "
                              f"{self.entry.cls.__qualname__} is not importable")
        self._worker = _Worker(self.backend_id, self.entry.cls, self.policy.timeout_s)
        # Nothing to send: the worker says ("ready",) once it has imported the plugin, or the error it met.
        self._answer(self._worker, None, "starting", stage="load", timeout_s=max(START_TIMEOUT_S, self.policy.timeout_s))
        self._answer(self._worker, ("load", self.device), "loading", stage="load")

    def _answer(self, worker: _Worker, message: tuple | None, what: str, stage: str = "colorize",
                timeout_s: float | None = None) -> tuple:
        """Send ``message`` and return the worker's answer; raise the plugin's error, or PluginError
        for a worker that crashed or hung (reported, and replaced next time)."""
        try:
            reply = worker.request(message, what, timeout_s)
        except WorkerGone as gone:
            if self._worker is worker:
                self._worker = None
            if self._interrupted:
                self._interrupted = False
                gone = f"did not stop when cancelled ({what}), so its worker process was ended"
            text = f"{self.backend_id} {gone}; it starts afresh next time"
            if self.on_failure is not None:
                self.on_failure(stage, text)
            raise PluginError(text) from None
        if reply[0] == "error":
            raise _error_from(reply, self.backend_id, stage)
        return reply

    def _close_run(self, worker: _Worker) -> None:
        """The host stopped early (a cancel, or its own error): close the plugin's generator too."""
        try:
            reply = worker.request(("close",), "closing colorize", timeout_s=CLOSE_TIMEOUT_S)
        except WorkerGone:
            if self._worker is worker:
                self._worker = None
            return
        if reply[0] == "error":  # its finally: raised; the run is over either way
            return


@contextlib.contextmanager
def _shared(lightness: np.ndarray) -> Iterator[tuple]:
    """The photo as the worker gets it: a small one in the message; a large one as a ``.npy`` file in
    shared memory (``/dev/shm``) that the worker maps, some 6 times faster than the pipe at 12 MP."""
    if lightness.nbytes < SHARE_ABOVE_BYTES:
        yield ("array", np.ascontiguousarray(lightness))
        return
    folder = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
    handle, path = tempfile.mkstemp(prefix="tinct-photo-", suffix=".npy", dir=folder)
    try:
        with os.fdopen(handle, "wb") as file:
            np.save(file, np.ascontiguousarray(lightness))
        yield ("file", path)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(path)


def _error_from(reply: tuple, backend_id: str, stage: str) -> Exception:
    """The plugin's exception, rebuilt on this side: a TinctError as it is, anything else in one line."""
    _kind, is_tinct, text, pickled = reply
    if is_tinct:
        try:
            error = pickle.loads(pickled) if pickled else None
        except Exception:  # a class this side cannot import: the message is what counts
            error = None
        return error if isinstance(error, TinctError) else TinctError(text)
    if stage == "load":
        return PluginError(f"{backend_id} failed to load: {text}")
    return PluginError(f"{backend_id} failed: {text}")


# ---------------------------------------------------------------- in the worker process


def serve(conn, module: str, qualname: str, path: list[str]) -> None:
    """The worker's main loop: one backend instance, driven by the host's requests until ``stop``."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the host, which stops the worker itself
    sys.path[:] = path
    importlib.invalidate_caches()
    try:
        cls = _resolve(module, qualname)
    except PLUGIN_FAILURES as error:
        conn.send(_error_reply(error))
        return
    conn.send(("ready",))
    instance = None
    events = None
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):  # the host is gone
            return
        kind = message[0]
        try:
            if kind == "load":
                if instance is None:
                    instance = cls()
                instance.load(message[1])
                conn.send(("ok",))
            elif kind == "colorize":
                _close(events)
                form, photo = message[1]
                lightness = np.load(photo, mmap_mode="r").view(np.ndarray) if form == "file" else photo
                lightness.flags.writeable = False
                events = iter(instance.colorize(lightness, message[2]))
                conn.send(("ok",))
            elif kind == "next":
                try:
                    with inference_mode():  # as the host runs each step in-process
                        event = next(events)
                    if isinstance(event, Sample) and hasattr(event.ab, "detach"):  # a torch tensor, maybe on a GPU
                        event = Sample(event.index, event.ab.detach().float().cpu().numpy())
                    conn.send(("event", event))
                except StopIteration:
                    events = None
                    conn.send(("done",))
            elif kind == "close":
                pending, events = events, None
                _close(pending, quietly=False)
                conn.send(("ok",))
            elif kind == "stop":
                if instance is not None:
                    instance.unload()
                return
        except PLUGIN_FAILURES as error:
            events = None if kind in ("next", "colorize") else events
            conn.send(_error_reply(error))


def _resolve(module: str, qualname: str) -> type:
    target = importlib.import_module(module)
    for part in qualname.split("."):
        target = getattr(target, part)
    return target


def _close(events, quietly: bool = True) -> None:
    close = getattr(events, "close", None)
    if close is None:
        return
    if quietly:
        try:
            close()
        except Exception:
            pass
    else:
        close()


def _error_reply(error: BaseException) -> tuple:
    if isinstance(error, TinctError):
        try:
            pickled = pickle.dumps(error)
        except Exception:
            pickled = None
        return ("error", True, str(error), pickled)
    return ("error", False, describe(error), None)
