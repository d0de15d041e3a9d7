"""Batch: colorize a whole folder with the current settings, beside the photos or into another folder."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
)

from desktop.exports import photos_in
from desktop.job_queue import JobQueue
from desktop.messages import BatchProgress, BatchRequest, BatchResult
from desktop.saving import ask_folder
from desktop.state.settings import ColorizeSettings


class BatchDialog(QDialog):
    def __init__(self, queue: JobQueue, settings: Callable[[], ColorizeSettings], start_folder: Path, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Batch colorize a folder")
        self.setModal(False)
        self.resize(560, 420)
        self.queue, self._settings = queue, settings
        self.result: BatchResult | None = None
        self.folder = QLineEdit(str(start_folder))
        browse = QPushButton("Choose…")
        browse.clicked.connect(lambda: self._browse(self.folder, "Folder of photos"))
        self.beside = QRadioButton("Beside each photo")
        self.into = QRadioButton("Into folder")
        self.beside.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.beside)
        group.addButton(self.into)
        self.out_dir = QLineEdit()
        self.out_dir.setPlaceholderText("Folder for the results")
        out_browse = QPushButton("Choose…")
        out_browse.clicked.connect(lambda: (self._browse(self.out_dir, "Folder for the results"), self.into.setChecked(True)))
        self.overwrite = QCheckBox("Replace results an earlier batch wrote")
        self.overwrite.setToolTip("Off: photos that already have their results are skipped (a stopped batch resumes). "
                                  "Originals are never replaced.")
        self.format = QComboBox()
        for fmt, label in (("png", "PNG"), ("jpg", "JPEG"), ("tif", "TIFF")):
            self.format.addItem(label, fmt)
        self.summary = QLabel()
        self.summary.setObjectName("Hint")
        self.summary.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setFixedHeight(6)
        self.current = QLabel("")
        self.current.setObjectName("Hint")
        self.report = QPlainTextEdit()
        self.report.setReadOnly(True)
        self.report.setPlaceholderText("Photos that fail are skipped and listed here.")
        self.start = QPushButton("Start")
        self.start.setObjectName("Primary")
        self.cancel = QPushButton("Cancel")
        self.cancel.setEnabled(False)
        self.open_output = QPushButton("Open Output Folder")
        self.open_output.setVisible(False)
        close = QPushButton("Close")
        self._written = 0
        self._output: Path | None = None

        form = QFormLayout()
        row = QHBoxLayout()
        row.addWidget(self.folder, 1)
        row.addWidget(browse)
        form.addRow("Photos in", row)
        form.addRow("Write", self.beside)
        row = QHBoxLayout()
        row.addWidget(self.into)
        row.addWidget(self.out_dir, 1)
        row.addWidget(out_browse)
        form.addRow("", row)
        form.addRow("Format", self.format)
        form.addRow("", self.overwrite)
        buttons = QHBoxLayout()
        buttons.addWidget(self.open_output)
        buttons.addStretch(1)
        for button in (self.start, self.cancel, close):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.summary)
        layout.addWidget(self.progress)
        layout.addWidget(self.current)
        layout.addWidget(self.report, 1)
        layout.addLayout(buttons)

        self.start.clicked.connect(lambda: self.run())
        self.cancel.clicked.connect(lambda: queue.cancel_batch())  # clicked(bool) must not reach cancel(run)
        close.clicked.connect(self.close)
        self.open_output.clicked.connect(lambda: self._output and QDesktopServices.openUrl(QUrl.fromLocalFile(str(self._output))))
        self.folder.textChanged.connect(self._describe)
        queue.batch_progressed.connect(self._progressed)
        queue.batch_finished.connect(self._finished)
        self._describe()

    def _browse(self, field: QLineEdit, title: str) -> None:
        folder = ask_folder(self, title, Path(field.text() or Path.home()))
        if folder is not None:
            field.setText(str(folder))

    def _photos(self) -> list[Path]:
        folder = Path(self.folder.text()).expanduser()
        ids = self.queue.host.ids() if self.queue.host else []
        return photos_in(folder, ids) if folder.is_dir() else []

    def _describe(self) -> None:
        settings = self._settings()
        count = len(self._photos())
        self.summary.setText(
            f"{plural(count, 'photo')} · {settings.backend_id or 'no backend'} · "
            f"{plural(settings.samples, 'sample')} each, seed {settings.seed}"
        )
        self.start.setEnabled(count > 0)

    def run(self, folder: Path | None = None, out_dir: Path | None = None) -> bool:
        """Start the batch (the Start button; tests call it with paths). Returns False if there is nothing to do."""
        if folder is not None:
            self.folder.setText(str(folder))
        if out_dir is not None:
            self.out_dir.setText(str(out_dir))
            self.into.setChecked(True)
        photos = self._photos()
        if not photos:
            self.current.setText("That folder holds no photos.")
            return False
        target = Path(self.out_dir.text()).expanduser() if self.into.isChecked() and self.out_dir.text() else None
        if target is not None:
            try:
                target.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                self.current.setText(f"Cannot write to {target}: {error.strerror or error}")
                return False
        self.result, self._written = None, 0
        self._output = target or Path(self.folder.text()).expanduser()
        self.open_output.setVisible(False)
        self.report.clear()
        self.progress.setValue(0)
        self.start.setEnabled(False)
        self.cancel.setEnabled(True)
        self.queue.batch(BatchRequest(tuple(photos), self._settings(), target, self.format.currentData(),
                                      overwrite=self.overwrite.isChecked()))
        self.current.setText("Waiting for the running colorization…" if self.queue.busy else "Starting…")
        return True

    def _progressed(self, progress: BatchProgress) -> None:
        self.progress.setValue(int(1000 * progress.done / max(progress.total, 1)))
        self._written = progress.written
        self.current.setText(f"{progress.done} of {progress.total} · {progress.message}")

    def _finished(self, result: BatchResult | None) -> None:
        self.result = result
        self.start.setEnabled(True)
        self.cancel.setEnabled(False)
        if result is None:
            self.current.setText(f"Stopped: {plural(self._written, 'file')} written before it stopped; "
                                 "start again to write the rest.")
            self.open_output.setVisible(self._written > 0)
            return
        self.progress.setValue(1000)
        self.current.setText(f"Done: {plural(len(result.written), 'file')} written, {len(result.failed)} failed, "
                             f"{len(result.skipped)} skipped.")
        self.open_output.setVisible(bool(result.written) or bool(result.skipped))
        lines = [f"failed  {path.name}: {reason}" for path, reason in result.failed]
        lines += [f"skipped {path.name}: {reason}" for path, reason in result.skipped]
        self.report.setPlainText("\n".join(lines) or "Every photo was colorized.")


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
