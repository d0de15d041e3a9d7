"""The File menu's work: open, save the result, save all samples, comparison sheet, batch, reopen the last
session, the Plugins view, and locating a backend's weights file."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog

from desktop import saving
from desktop.batch_dialog import BatchDialog
from desktop.exports import PHOTO_SUFFIXES
from desktop.plugins_dialog import PluginsDialog
from desktop.state.session import PhotoDoc, Run

OPEN_FILTER = "Photos (" + " ".join(f"*{suffix}" for suffix in sorted(PHOTO_SUFFIXES)) + ");;All files (*)"


def _start_folder(window) -> Path:
    doc = window.session.current
    if doc is not None:
        return doc.path.parent
    return Path(window.store.state.last_folder or Path.home())


def open_dialog(window) -> None:
    with saving.roomy_file_dialogs(window):
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
    if not can_save(run):
        window.notices.info("Nothing to save yet", "View or choose a sample first.")
        return False
    overwrite = False
    state = window.store.state
    if target is None:
        suggested = saving.default_result_path(doc, run, state.output_format, saving.save_folder(doc, state.last_save_folder))
        chosen = saving.ask_save_path(window, suggested)
        if chosen is None:
            return False
        target, overwrite = chosen
    target = Path(target)
    state.output_format = saving.SUFFIX_FORMATS.get(target.suffix.lower(), "png")
    state.last_save_folder = str(target.parent)
    on_saved = _mark_saved(window, doc)
    # Once the samples show the latest hints (an edit may still be applying): what is saved is what is shown.
    window.hints.renderer.when_settled(
        doc, lambda: window.queue.save(saving.result_request(doc, run, target, overwrite), on_saved=on_saved))
    return True


def can_save(run: Run | None) -> bool:
    """Whether Save has something to write: the same test as ``save_writes``."""
    return bool(save_writes(run))


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
    folder = folder or saving.ask_folder(window, "Save all samples into", saving.save_folder(doc, window.store.state.last_save_folder))
    if folder is None:
        return False
    window.store.state.last_save_folder = str(folder)
    fmt, on_saved = window.store.state.output_format, _mark_saved(window, doc)
    window.hints.renderer.when_settled(
        doc, lambda: window.queue.save(saving.all_samples_request(doc, run, Path(folder), fmt), on_saved=on_saved))
    return True


def export_sheet(window, target: Path | None = None) -> bool:
    doc, run = _ready_run(window)
    if run is None:
        return False
    if target is None:
        folder = saving.save_folder(doc, window.store.state.last_save_folder)
        target = saving.ask_sheet_path(window, folder / f"{doc.path.stem}.{run.settings.backend_id}.comparison.jpg")
        if target is None:
            return False
    window.store.state.last_save_folder = str(Path(target).parent)
    window.hints.renderer.when_settled(doc, lambda: window.queue.export_sheet(saving.sheet_request(doc, run, Path(target))))
    return True


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
    # A plugin installed, removed or switched: the window looks again, and the dialog shows what it found.
    dialog.plugins_changed.connect(window.rediscover)
    window.backends_ready.connect(lambda: dialog.fill(window.host, dict(window.queue.loaded_devices)))
    window._dialogs.append(dialog)
    dialog.show()
    return dialog


def locate_weights(window, backend_id: str) -> None:
    """Locate weights file… (offered when a backend's weights are missing or wrong): the user picks the file."""
    with saving.roomy_file_dialogs(window):
        path, _filter = QFileDialog.getOpenFileName(window, f"Locate the weights file of {backend_id}",
                                                    str(Path.home()), "Weights (*.safetensors);;All files (*)")
    if path:
        add_weights_file(window, path)


def add_weights_file(window, path: str | Path) -> None:
    """Check ``path`` against the weights the found backends declare and copy it into the user models folder
    (as ``tinct models add`` does), off the GUI thread; then look for backends again, weights now verified."""
    from desktop import worker
    from desktop.model_install import add_model

    backends = [*window.host.backends, *window.host.switched_off] if window.host is not None else None

    def added(report) -> None:
        where = "was already in place" if report.already_there else f"is now in {report.path.parent}"
        window.notices.info(f"Weights added for {', '.join(report.backends)}", f"{report.path.name} {where}. "
                            "Colorize again.")
        window.rediscover()

    job = worker.GeneratorWorker(add_model, Path(path), backends)
    job.returned.connect(added)
    job.errored.connect(lambda error: window.notices.error("Could not add the weights file", str(error)))
    job.start()
