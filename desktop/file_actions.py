"""The File menu's work: open, save the result, save all samples, comparison sheet, batch, reopen the last
session, and the Plugins view."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog

from desktop import saving
from desktop.batch_dialog import BatchDialog
from desktop.exports import PHOTO_SUFFIXES
from desktop.plugins_dialog import PluginsDialog
from desktop.state.saved_session import SavedSession, backend_problems
from desktop.state.session import FAILED, PhotoDoc, Run

OPEN_FILTER = "Photos (" + " ".join(f"*{suffix}" for suffix in sorted(PHOTO_SUFFIXES)) + ");;All files (*)"


def _start_folder(window) -> Path:
    doc = window.session.current
    if doc is not None:
        return doc.path.parent
    return Path(window.store.state.last_folder or Path.home())


def open_dialog(window) -> None:
    paths, _filter = QFileDialog.getOpenFileNames(window, "Open photos", str(_start_folder(window)), OPEN_FILTER)
    if paths:
        window.open_paths(paths)


def _ready_run(window):
    doc, run = window.current_run()
    if run is None or not run.samples:
        window.notices.info("Nothing to save yet", "Colorize the photo first.")
        return None, None
    return doc, run


def save_result(window, target: Path | None = None) -> bool:
    """Save the combined result, else the chosen sample, else the one on view, at full resolution."""
    doc, run = _ready_run(window)
    if run is None:
        return False
    overwrite = False
    if target is None:
        suggested = saving.default_result_path(doc, run, window.store.state.output_format)
        chosen = saving.ask_save_path(window, suggested)
        if chosen is None:
            return False
        target, overwrite = chosen
    window.store.state.output_format = saving.SUFFIX_FORMATS.get(target.suffix.lower(), "png")
    window.queue.save(saving.result_request(doc, run, Path(target), overwrite), on_saved=_mark_saved(window, doc))
    return True


def save_writes(run: Run | None) -> str:
    """What Save writes for ``run``, in words, decided as ``saving.result_chroma`` decides it; "" if nothing."""
    if run is None or not run.samples:
        return ""
    if run.has_strokes:
        numbers = ", ".join(str(index + 1) for index in sorted(run.combine.sources()))
        return f"the combined result of samples {numbers}"
    index = saving.result_sample(run)
    if index not in run.samples:
        return ""
    return f"sample {index + 1} ({'chosen' if index == run.chosen else 'on view'})"


def _mark_saved(window, doc: PhotoDoc):
    """Once written, ``doc``'s results as they are now are saved (what changes meanwhile is not)."""
    edits = doc.edits
    return lambda: window.session.mark_saved(doc, edits)


def save_all_samples(window, folder: Path | None = None) -> bool:
    doc, run = _ready_run(window)
    if run is None:
        return False
    folder = folder or saving.ask_folder(window, "Save all samples into", doc.path.parent)
    if folder is None:
        return False
    window.queue.save(saving.all_samples_request(doc, run, Path(folder), window.store.state.output_format),
                      on_saved=_mark_saved(window, doc))
    return True


def export_sheet(window, target: Path | None = None) -> bool:
    doc, run = _ready_run(window)
    if run is None:
        return False
    if target is None:
        suggested = doc.path.with_name(f"{doc.path.stem}.{run.settings.backend_id}.comparison.jpg")
        path, _filter = QFileDialog.getSaveFileName(window, "Export comparison sheet", str(suggested), "JPEG (*.jpg);;PNG (*.png)")
        if not path:
            return False
        target = Path(path)
    window.queue.export_sheet(saving.sheet_request(doc, run, Path(target)))
    return True


def reopen_session(window, kept: SavedSession) -> list[PhotoDoc]:
    """Open ``kept``'s photos and queue its runs again with their settings; each run's choice and strokes
    come back when it is done (``restore_run``). What cannot be restored is said in one notice each:
    the photos that are gone, and the backends that are missing or changed."""
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
        if photo.unsaved:
            session.mark_edited(doc)
        runs = []
        for kept_run in photo.runs:
            if kept_run.settings.backend_id in versions:
                run = window.queue.colorize(doc, kept_run.settings)
            else:
                run = session.add_run(doc, kept_run.settings, kept_run.expected)
                session.update_run(doc, run, state=FAILED, message="Backend not installed",
                                   error=f"{kept_run.settings.backend_id} is not installed")
            run.restoring = kept_run  # before any of its samples arrive: they come through the event loop
            runs.append(run)
        if photo.current_run is not None:
            session.show_run(doc, runs[photo.current_run])
    if present.current_photo is not None and docs:
        session.set_current(docs[present.current_photo])
    return docs


def restore_run(window, doc: PhotoDoc, run: Run) -> None:
    """A reopened run is made again: put back its chosen sample and strokes."""
    problems = window.session.restore_run(doc, run)
    if problems:
        window.notices.warning(f"{run.label()} of {doc.name} is not quite as it was", "; ".join(problems))


def show_batch(window) -> BatchDialog:
    """The one batch dialog: it follows the batch there is, so a second one would show someone else's."""
    dialog = next((d for d in window._dialogs if isinstance(d, BatchDialog)), None)
    if dialog is None:
        dialog = BatchDialog(window.queue, window.controls.settings, _start_folder(window), window)
        window._dialogs.append(dialog)
    dialog.show()
    dialog.raise_()
    dialog.activateWindow()
    return dialog


def show_plugins(window) -> PluginsDialog:
    loaded = dict(window.queue.loaded_devices)
    dialog = PluginsDialog(window.host, loaded, window)
    window._dialogs.append(dialog)
    dialog.show()
    return dialog
