"""What Save, Save all samples and Export comparison sheet write, and the file dialogs that ask where."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QWidget

from desktop.exports import result_name, unique_path
from desktop.messages import Chroma, SaveRequest, SheetRequest
from desktop.state.session import PhotoDoc, Run

FORMAT_FILTERS = "PNG image (*.png);;JPEG image (*.jpg *.jpeg);;TIFF image (*.tif *.tiff)"
SUFFIX_FORMATS = {".png": "png", ".jpg": "jpg", ".jpeg": "jpg", ".tif": "tif", ".tiff": "tif"}


def result_sample(run: Run) -> int | None:
    """The sample a plain Save writes: the chosen one, else the one on view."""
    return run.chosen if run.chosen is not None else run.viewed


def result_chroma(run: Run) -> tuple[Chroma, str | int]:
    """The chroma of the result and its label for file names (a sample number, or ``combined``)."""
    if run.has_strokes:
        samples_ab = {index: sample.ab for index, sample in run.samples.items()}
        return Chroma(mask=run.combine.copy(), samples_ab=samples_ab), "combined"
    index = result_sample(run)
    return Chroma(ab=run.samples[index].ab), index + 1


def default_result_path(doc: PhotoDoc, run: Run, fmt: str, folder: Path | None = None) -> Path:
    _chroma, label = result_chroma(run)
    return unique_path((folder or doc.path.parent) / result_name(doc.path, run.settings.backend_id, label, fmt))


def result_request(doc: PhotoDoc, run: Run, target: Path, overwrite: bool = False) -> SaveRequest:
    chroma, _label = result_chroma(run)
    fmt = SUFFIX_FORMATS.get(target.suffix.lower(), "png")
    return SaveRequest(doc.path, ((target, chroma),), fmt=fmt, overwrite=overwrite)


def all_samples_request(doc: PhotoDoc, run: Run, folder: Path, fmt: str) -> SaveRequest:
    items = []
    for index in sorted(run.samples):
        target = unique_path(folder / result_name(doc.path, run.settings.backend_id, index + 1, fmt))
        items.append((target, Chroma(ab=run.samples[index].ab)))
    if run.has_strokes:
        chroma, label = result_chroma(run)
        items.append((unique_path(folder / result_name(doc.path, run.settings.backend_id, label, fmt)), chroma))
    return SaveRequest(doc.path, tuple(items), fmt=fmt)


def sheet_request(doc: PhotoDoc, run: Run, target: Path) -> SheetRequest:
    tiles = []
    for index in sorted(run.samples):
        label = f"Sample {index + 1}" + (" ★" if run.chosen == index else "")
        tiles.append((label, Chroma(ab=run.samples[index].ab)))
    if run.has_strokes:
        tiles.append(("Combined", result_chroma(run)[0]))
    return SheetRequest(doc.path, target, tuple(tiles))


def ask_save_path(parent: QWidget, suggested: Path) -> tuple[Path, bool] | None:
    """The path the user chose, and whether replacing a file there was confirmed.

    The dialog confirms replacing only the name it returns; when that name has
    no image suffix and ``.png`` is added, a file of the new name was never
    confirmed, so the save must not replace it.
    """
    path, _filter = QFileDialog.getSaveFileName(parent, "Save colorized photo", str(suggested), FORMAT_FILTERS)
    if not path:
        return None
    path = Path(path)
    if path.suffix.lower() in SUFFIX_FORMATS:
        return path, True
    return path.with_name(path.name + ".png"), False


def ask_folder(parent: QWidget, title: str, start: Path) -> Path | None:
    folder = QFileDialog.getExistingDirectory(parent, title, str(start))
    return Path(folder) if folder else None
