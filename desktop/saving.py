"""What Save, Save all samples and Export comparison sheet write, and the file dialogs that ask where."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QSize
from PySide6.QtWidgets import QApplication, QFileDialog, QHeaderView, QTreeView, QWidget

from desktop.exports import result_name, unique_path
from desktop.messages import Chroma, SaveRequest, SheetRequest
from desktop.state.session import PhotoDoc, Run

FILTERS = {"png": "PNG image (*.png)", "jpg": "JPEG image (*.jpg *.jpeg)", "tif": "TIFF image (*.tif *.tiff)"}
FORMAT_FILTERS = ";;".join(FILTERS.values())
SUFFIX_FORMATS = {".png": "png", ".jpg": "jpg", ".jpeg": "jpg", ".tif": "tif", ".tiff": "tif"}
SHEET_FILTERS = {"jpg": "JPEG (*.jpg)", "png": "PNG (*.png)"}
DIALOG_SIZE = QSize(960, 600)
"""File dialogs open at least this large (within the screen): Qt's own dialog starts at about 520 × 360 px,
where the Name column is cut."""


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
    return SaveRequest(doc.path, ((target, chroma),), fmt=fmt, overwrite=overwrite, restoration=run.restoration)


def all_samples_request(doc: PhotoDoc, run: Run, folder: Path, fmt: str) -> SaveRequest:
    items = []
    for index in sorted(run.samples):
        target = unique_path(folder / result_name(doc.path, run.settings.backend_id, index + 1, fmt))
        items.append((target, Chroma(ab=run.samples[index].ab)))
    if run.has_strokes:
        chroma, label = result_chroma(run)
        items.append((unique_path(folder / result_name(doc.path, run.settings.backend_id, label, fmt)), chroma))
    return SaveRequest(doc.path, tuple(items), fmt=fmt, restoration=run.restoration)


def sheet_request(doc: PhotoDoc, run: Run, target: Path) -> SheetRequest:
    tiles = []
    for index in sorted(run.samples):
        label = f"Sample {index + 1}" + (" ★" if run.chosen == index else "")
        tiles.append((label, Chroma(ab=run.samples[index].ab)))
    if run.has_strokes:
        tiles.append(("Combined", result_chroma(run)[0]))
    return SheetRequest(doc.path, target, tuple(tiles), restoration=run.restoration)


def save_folder(doc: PhotoDoc, last_save_folder: str) -> Path:
    """Where Save As starts: the folder saved to last, while it exists; else the photo's own."""
    if last_save_folder and Path(last_save_folder).is_dir():
        return Path(last_save_folder)
    return doc.path.parent


def save_dialog_args(suggested: Path, filters: dict[str, str] = FILTERS) -> tuple[str, str, str]:
    """``(directory, filter, selected filter)`` for a save dialog suggesting ``suggested``: the selected
    filter is the one of its suffix, so the name and the filter never disagree."""
    fmt = SUFFIX_FORMATS.get(suggested.suffix.lower(), next(iter(filters)))
    selected = filters.get(fmt, next(iter(filters.values())))
    return str(suggested), ";;".join(filters.values()), selected


def path_with_suffix(path: Path, selected_filter: str, filters: dict[str, str] = FILTERS) -> tuple[Path, bool]:
    """``path`` as typed, or with the chosen filter's suffix added when it has no image suffix; and whether
    it is the name the dialog returned (so a file of that name was confirmed by the dialog, if it exists)."""
    if path.suffix.lower() in SUFFIX_FORMATS:
        return path, True
    fmt = next((key for key, text in filters.items() if text == selected_filter), next(iter(filters)))
    return path.with_name(f"{path.name}.{fmt}"), False


def ask_save_path(parent: QWidget, suggested: Path) -> tuple[Path, bool] | None:
    """The path the user chose, and whether replacing a file there was confirmed.

    The dialog confirms replacing only the name it returns; when that name has
    no image suffix and the chosen filter's suffix is added, a file of the new name
    was never confirmed, so the save must not replace it.
    """
    directory, filters, selected = save_dialog_args(suggested)
    with roomy_file_dialogs(parent):
        path, chosen_filter = QFileDialog.getSaveFileName(parent, "Save colorized photo", directory, filters, selected)
    if not path:
        return None
    return path_with_suffix(Path(path), chosen_filter)


def ask_sheet_path(parent: QWidget, suggested: Path) -> Path | None:
    directory, filters, selected = save_dialog_args(suggested, SHEET_FILTERS)
    with roomy_file_dialogs(parent):
        path, chosen_filter = QFileDialog.getSaveFileName(parent, "Export comparison sheet", directory, filters, selected)
    return path_with_suffix(Path(path), chosen_filter, SHEET_FILTERS)[0] if path else None


def ask_folder(parent: QWidget, title: str, start: Path) -> Path | None:
    with roomy_file_dialogs(parent):
        folder = QFileDialog.getExistingDirectory(parent, title, str(start))
    return Path(folder) if folder else None


# -- file dialogs of a sensible size ------------------------------------------------------------------


def fit_file_dialog(dialog: QFileDialog, parent: QWidget | None) -> None:
    """Give Qt's own file dialog room: DIALOG_SIZE or 70 % of the window (within the screen); the detail
    view's Size, Type and Date columns as wide as what they show and Name the rest, so none is cut.
    A native dialog sizes itself; this then changes nothing."""
    size = QSize(DIALOG_SIZE)
    window = parent.window() if parent is not None else None
    if window is not None:
        size = size.expandedTo(QSize(int(window.width() * 0.7), int(window.height() * 0.7)))
    screen = (window.screen() if window is not None else None) or QApplication.primaryScreen()
    if screen is not None:
        size = size.boundedTo(screen.availableGeometry().size() * 0.95)
    if dialog.width() < size.width() or dialog.height() < size.height():
        dialog.resize(size.expandedTo(dialog.size()))
    for view in dialog.findChildren(QTreeView):  # the detail view: Name takes the room the others leave
        header = view.header()
        header.setStretchLastSection(False)
        for column in range(header.count()):
            header.setSectionResizeMode(column, QHeaderView.Stretch if column == 0 else QHeaderView.ResizeToContents)


class _DialogFitter(QObject):
    def __init__(self, parent_widget: QWidget | None):
        super().__init__()
        self.parent_widget = parent_widget

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Show and isinstance(watched, QFileDialog):
            fit_file_dialog(watched, self.parent_widget)
            QApplication.instance().removeEventFilter(self)  # done: no Python call for every later event
        return False


@contextmanager
def roomy_file_dialogs(parent: QWidget | None):
    """While inside, every file dialog Qt shows (the static QFileDialog functions make their own) is fitted
    by ``fit_file_dialog`` as it appears."""
    app = QApplication.instance()
    fitter = _DialogFitter(parent)
    if app is not None:
        app.installEventFilter(fitter)
    try:
        yield
    finally:
        if app is not None:
            app.removeEventFilter(fitter)
