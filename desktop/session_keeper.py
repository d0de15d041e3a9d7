"""Keeping the session between starts: written shortly after each change and on quit, offered on start,
reopened by making each run again from its seed (and its restoration) and putting back its chosen sample and
strokes, and each photo's color hints, reference photo and restoration settings.

What is kept (and how it is read and written) is ``desktop/state/saved_session.py``; this module
decides when, and talks to the window's notices, queue and session.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QTimer

from desktop import menus
from desktop.state import NoticeAction, saved_session
from desktop.state.restoration import RestoreSettings
from desktop.state.saved_session import SavedSession, backend_problems
from desktop.state.session import DONE, FAILED, PhotoDoc, Run

AUTOSAVE_DELAY_MS = 1500
"""Session changes are written this long after the last one (strokes come in bursts)."""
OFFER = "offer"
"""A notice level that does not fade (not in notifications.AUTO_HIDE_MS): the offer stays until answered."""


class SessionKeeper(QObject):
    def __init__(self, window, path: Path | None):
        """``path``: where the session is kept between starts (None: nowhere)."""
        super().__init__(window)
        self.window, self.path = window, path
        self.kept = SavedSession()
        """The last session, until it is reopened; this one is not written over it before it has results of its own."""
        self.waiting = False  # Reopen was asked for before the backends were found
        self._offer = None
        self._write_failed = False
        self._timer = QTimer(self, singleShot=True, interval=AUTOSAVE_DELAY_MS)
        self._timer.timeout.connect(self.write)

    def schedule(self, *_args) -> None:
        if self.path is not None:
            self._timer.start()

    def offer_reopen(self) -> None:
        """At start: offer to reopen the session kept at the last quit (or crash), if it had photos."""
        if self.path is None:
            return
        self.kept = saved_session.read(self.path)
        if self.kept.photos:
            details = "\n".join(str(photo.path) for photo in self.kept.photos)
            self._offer = self.window.notices.post(OFFER, "Reopen your last session?", self.kept.summary(),
                                                   details=details, actions=(NoticeAction("Reopen", self.reopen),))
        menus.update_enabled(self.window)

    def reopen(self) -> None:
        """Open the kept session's photos and make its runs again (once the backends are found)."""
        window = self.window
        if not self.kept.photos:
            return
        if window.host is None and not window.discovery_error:
            self.waiting = True
            window.notices.info("Looking for backends…", "The last session reopens as soon as they are found.")
            return
        kept, self.kept, self.waiting = self.kept, SavedSession(), False
        window.notices.dismiss(self._offer)
        self._reopen(kept)
        menus.update_enabled(window)
        self.schedule()

    def write(self) -> bool:
        """Write the session to ``path`` (atomically); False if it could not be written."""
        self._timer.stop()
        if self.path is None:
            return True
        snapshot = self.window.session.snapshot(self.window.backend_versions())
        if self.kept.photos and snapshot.run_count == 0:
            return True  # the last session stays until this one has results of its own, or is reopened
        try:
            saved_session.write(self.path, snapshot)
        except OSError as error:
            if not self._write_failed:  # said once: a crash now would lose this session
                self.window.notices.warning("Could not keep the session", f"{self.path}: {error.strerror or error}")
            self._write_failed = True
            return False
        self._write_failed = False
        return True

    def run_changed(self, doc: PhotoDoc, run: Run) -> None:
        """A reopened run that is made again gets back its chosen sample and strokes."""
        if run.restoring is not None and run.state == DONE:
            problems = self.window.session.restore_run(doc, run)
            if problems:
                self.window.notices.warning(f"{run.label()} of {doc.name} is not quite as it was", "; ".join(problems))
        if not run.active:
            self.schedule()

    def _reopen(self, kept: SavedSession) -> list[PhotoDoc]:
        """Open ``kept``'s photos and queue its runs again with their settings. What cannot be restored is
        said in one notice each: the photos that are gone, and the backends that are missing or changed."""
        window = self.window
        present, missing = kept.without_missing()
        if missing:
            names = ", ".join(path.name for path in missing[:3]) + (", …" if len(missing) > 3 else "")
            title = (f"{len(missing)} photos of the last session no longer exist" if len(missing) > 1
                     else "A photo of the last session no longer exists")
            window.notices.warning(title, f"Skipped: {names}", details="\n".join(map(str, missing)))
        versions = window.backend_versions()
        problems = backend_problems(present, versions)
        if problems:
            window.notices.warning("Some runs cannot be restored as they were",
                                   problems[0] + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""),
                                   details="\n".join(problems))
        docs = window.open_paths([photo.path for photo in present.photos])
        session = window.session
        for photo, doc in zip(present.photos, docs):
            if photo.hints or photo.reference is not None:
                window.hints.restore(doc, photo.hints, photo.reference)
            session.set_restoration(doc, photo.restoration)
            if photo.unsaved:
                session.mark_edited(doc)
            runs = []
            for kept_run in photo.runs:
                restoration = kept_run.restoration or RestoreSettings()  # as the run had it, whatever the photo has now
                if kept_run.settings.backend_id in versions:
                    run = window.queue.colorize(doc, kept_run.settings, restoration)
                else:
                    run = session.add_run(doc, kept_run.settings, kept_run.expected, restoration)
                    session.update_run(doc, run, state=FAILED, message="Backend not installed",
                                       error=f"{kept_run.settings.backend_id} is not installed")
                run.restoring = kept_run  # before any of its samples arrive: they come through the event loop
                runs.append(run)
            if photo.current_run is not None:
                session.show_run(doc, runs[photo.current_run])
        if present.current_photo is not None and docs:
            session.set_current(docs[present.current_photo])
        return docs
