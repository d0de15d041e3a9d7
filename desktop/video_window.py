"""The video window: open a clip, scrub it, colorize the frame on view to choose a backend and a sample,
then render the whole clip in the background with progress, cancel and a link to the result.

All reading and colorizing runs in :mod:`desktop.video_jobs` on worker threads; this module only shows.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Callable

from PySide6.QtCore import QSize, Qt, QTimer, QUrl
from PySide6.QtGui import QDesktopServices, QIcon
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSlider,
    QSpinBox,
    QVBoxLayout,
)

from desktop import video_jobs, worker
from desktop.images import to_pixmap
from desktop.state.settings import ColorizeSettings
from plugins.host import PluginHost
from plugins.host.video import VIDEO_SUFFIXES, VideoNote, VideoProgress, video_name

SCRUB_DELAY_MS = 60  # the frame is read once the slider rests this long: not for every step of a drag
THUMBNAIL = QSize(160, 90)


def format_seconds(seconds: float) -> str:
    minutes, seconds = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


def describe_progress(progress: VideoProgress) -> str:
    """``"Frame 120 of 300 · 8.4 frames/s · 0:21 left"``."""
    text = f"Frame {progress.frames_done} of {progress.frame_count}"
    if progress.fps > 0:
        text += f" · {progress.fps:.1f} frames/s · {format_seconds(progress.eta_s)} left"
    return text


class VideoWindow(QDialog):
    """One clip. ``settings()`` gives the main window's colorize settings (working size, temperature,
    the backend's own options), which the window's backend, seed and sample count override."""

    def __init__(self, host: PluginHost, settings: Callable[[], ColorizeSettings], path: Path, parent=None):
        super().__init__(parent)
        self.setWindowTitle(f"Video: {path.name}")
        self.setModal(False)
        self.resize(900, 720)
        self.host, self.path, self._settings = host, Path(path), settings
        self.info = None
        self.result: Path | None = None
        self._workers: set[worker.GeneratorWorker] = set()
        self._reading: worker.GeneratorWorker | None = None
        self._pending_frame: int | None = None
        self._trying: worker.GeneratorWorker | None = None
        self._rendering: worker.GeneratorWorker | None = None
        self._build()
        self._start(video_jobs.open_clip_job, self.path, returned=self._opened,
                    errored=lambda error: self.status.setText(f"Cannot open {self.path.name}: {error}"))

    # -- layout ------------------------------------------------------------------------
    def _build(self) -> None:
        chosen = self._settings()
        self.view = QLabel("Reading the clip…")
        self.view.setAlignment(Qt.AlignCenter)
        self.view.setMinimumSize(480, 270)
        self.slider = QSlider(Qt.Horizontal)
        self.slider.setEnabled(False)
        self.position = QLabel("")
        self._scrub = QTimer(self, singleShot=True, interval=SCRUB_DELAY_MS)
        self._scrub.timeout.connect(lambda: self._read_frame(self.slider.value()))
        self.slider.valueChanged.connect(self._slid)

        self.backend = QComboBox()
        for backend_id in self.host.ids():
            self.backend.addItem(self.host.get(backend_id).info.name, backend_id)
        self.backend.setCurrentIndex(max(0, self.backend.findData(chosen.backend_id)))
        self.seed = QSpinBox()
        self.seed.setRange(0, 2**31 - 1)
        self.seed.setValue(min(chosen.seed, 2**31 - 1))
        self.samples = QSpinBox()
        self.samples.setRange(1, 16)
        self.samples.setValue(chosen.samples)
        self.try_button = QPushButton("Colorize This Frame")
        self.try_button.setEnabled(False)
        self.try_button.clicked.connect(lambda: self.colorize_frame())
        self.sample_list = QListWidget()
        self.sample_list.setViewMode(QListWidget.IconMode)
        self.sample_list.setIconSize(THUMBNAIL)
        self.sample_list.setFixedHeight(THUMBNAIL.height() + 40)
        self.sample_list.setToolTip("The sample chosen here colors the whole clip")
        self.sample_list.currentRowChanged.connect(self._sample_chosen)
        self.temporal = QCheckBox("Steady colors from frame to frame")
        self.temporal.setChecked(True)
        self.temporal.setToolTip("On: each frame takes the previous frame's colors along the motion (no flicker). "
                                 "Off: every frame is colorized on its own.")

        self.render_button = QPushButton("Render Clip…")
        self.render_button.setObjectName("Primary")
        self.render_button.setEnabled(False)
        self.render_button.clicked.connect(lambda: self.ask_and_render())
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(lambda: self.cancel_render())
        self.progress = QProgressBar()
        self.progress.setFixedHeight(6)
        self.progress.setTextVisible(False)
        self.status = QLabel("")
        self.status.setObjectName("Hint")
        self.status.setWordWrap(True)
        self.notes = QLabel("")
        self.notes.setObjectName("Hint")
        self.notes.setWordWrap(True)
        self.notes.setVisible(False)
        self.result_link = QLabel()
        self.result_link.setVisible(False)
        self.result_link.setTextInteractionFlags(Qt.TextBrowserInteraction)
        self.result_link.linkActivated.connect(lambda url: QDesktopServices.openUrl(QUrl(url)))

        form = QFormLayout()
        form.addRow("Backend", self.backend)
        form.addRow("Seed", self.seed)
        form.addRow("Samples to try", self.samples)
        scrub = QHBoxLayout()
        scrub.addWidget(self.slider, 1)
        scrub.addWidget(self.position)
        trying = QHBoxLayout()
        trying.addLayout(form)
        trying.addWidget(self.try_button, 0, Qt.AlignBottom)
        trying.addStretch(1)
        rendering = QHBoxLayout()
        rendering.addWidget(self.temporal)
        rendering.addStretch(1)
        rendering.addWidget(self.result_link)
        rendering.addWidget(self.render_button)
        rendering.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.view, 1)
        layout.addLayout(scrub)
        layout.addLayout(trying)
        layout.addWidget(self.sample_list)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.notes)
        layout.addLayout(rendering)

    # -- what the user asks for ----------------------------------------------------------
    @property
    def chosen_sample(self) -> int:
        """The sample (from 0) the whole clip gets: the one selected among the frame's samples, else the first."""
        return max(0, self.sample_list.currentRow())

    def colorize_settings(self) -> ColorizeSettings:
        base = self._settings()
        backend_id = self.backend.currentData() or base.backend_id
        params = base.params if backend_id == base.backend_id else {}  # another backend's options would not fit
        return replace(base, backend_id=backend_id, seed=self.seed.value(), samples=self.samples.value(), params=params)

    def colorize_frame(self) -> None:
        """Colorize the frame on view with the window's backend, seed and sample count."""
        if self._trying is not None or self.info is None:
            return
        self.sample_list.clear()
        self.status.setText(f"Colorizing frame {self.slider.value() + 1}…")
        self._trying = self._start(video_jobs.colorize_frame_job, self.host, self.path, self.slider.value(),
                                   self.colorize_settings(), yielded=self._sample_made,
                                   returned=lambda _: self.status.setText("Click a sample to color the clip with it"),
                                   errored=lambda error: self.status.setText(f"Could not colorize the frame: {error}"),
                                   finished=self._trying_finished)
        self.try_button.setEnabled(False)

    def default_target(self) -> Path:
        return self.path.with_name(video_name(self.path.stem, self.colorize_settings().backend_id))

    def ask_and_render(self) -> None:
        chosen, _ = QFileDialog.getSaveFileName(self, "Render the clip", str(self.default_target()),
                                                "MP4 video (*.mp4)")
        if chosen:
            self.render_to(Path(chosen))

    def render_to(self, target: Path) -> None:
        """Render the whole clip into ``target`` (replaced if it exists) in the background."""
        if self._rendering is not None or self.info is None:
            return
        if target.suffix.lower() != ".mp4":
            target = target.with_name(target.name + ".mp4")
        self.result = None
        self.result_link.setVisible(False)
        self.notes.clear()
        self.notes.setVisible(False)
        self.progress.setRange(0, self.info.frame_count)
        self.progress.setValue(0)
        self.status.setText("Starting…")
        self._rendering = self._start(video_jobs.render_job, self.host, self.path, target, self.colorize_settings(),
                                      self.chosen_sample, self.temporal.isChecked(), yielded=self._rendered,
                                      returned=self._render_done, aborted=lambda: self.status.setText(
                                          "Cancelled: nothing was written"),
                                      errored=lambda error: self.status.setText(f"Rendering failed: {error}"),
                                      finished=self._render_finished)
        self._refresh_buttons()

    def cancel_render(self) -> None:
        if self._rendering is not None:
            self._rendering.quit()

    @property
    def busy(self) -> bool:
        return bool(self._workers)

    # -- answers from the workers ----------------------------------------------------------
    def _opened(self, opened: video_jobs.ClipOpened) -> None:
        self.info = opened.info
        self.slider.setRange(0, opened.info.frame_count - 1)
        self.slider.setEnabled(True)
        self._show(opened.first)
        self._show_position(0)
        self.status.setText(f"{opened.info.width}×{opened.info.height}, {float(opened.info.fps):.3g} frames/s, "
                            f"{opened.info.frame_count} frames" + (", with sound" if opened.info.audio_codec else ""))
        self._refresh_buttons()

    def _slid(self, index: int) -> None:
        self._show_position(index)
        self._scrub.start()

    def _read_frame(self, index: int) -> None:
        if self._reading is not None:
            self._pending_frame = index  # the latest position wins once the read under way is done
            return
        self._reading = self._start(video_jobs.read_frame_job, self.path, index, returned=self._frame_read,
                                    errored=lambda error: self.status.setText(str(error)),
                                    finished=self._reading_finished)

    def _frame_read(self, frame: video_jobs.FrameRead) -> None:
        if frame.index == self.slider.value():
            self._show(frame.rgb)

    def _reading_finished(self) -> None:
        self._reading = None
        if self._pending_frame is not None:
            index, self._pending_frame = self._pending_frame, None
            self._read_frame(index)

    def _sample_made(self, sample: video_jobs.FrameSample) -> None:
        item = QListWidgetItem(QIcon(to_pixmap(sample.rgb)), f"Sample {sample.sample + 1}")
        item.setData(Qt.UserRole, sample.rgb)
        self.sample_list.addItem(item)
        if self.sample_list.count() == 1:
            self.sample_list.setCurrentRow(0)

    def _sample_chosen(self, row: int) -> None:
        if row >= 0:
            self._show(self.sample_list.item(row).data(Qt.UserRole))

    def _trying_finished(self) -> None:
        self._trying = None
        self._refresh_buttons()

    def _rendered(self, event) -> None:
        if isinstance(event, VideoProgress):
            self.progress.setMaximum(event.frame_count)
            self.progress.setValue(event.frames_done)
            self.status.setText(describe_progress(event))
            if event.frame is not None:
                self._show(event.frame)
        elif isinstance(event, VideoNote):  # kept apart: the progress line changes with every frame
            self.notes.setText("\n".join(filter(None, (self.notes.text(), event.message))))
            self.notes.setVisible(True)

    def _render_done(self, target: Path) -> None:
        self.result = target
        self.progress.setValue(self.progress.maximum())
        self.status.setText(f"Written: {target}")
        self.result_link.setText(f'<a href="{QUrl.fromLocalFile(str(target)).toString()}">Open the result</a>')
        self.result_link.setVisible(True)

    def _render_finished(self) -> None:
        self._rendering = None
        self._refresh_buttons()

    # -- helpers -------------------------------------------------------------------------------
    def _start(self, job, *args, yielded=None, returned=None, errored=None, aborted=None, finished=None):
        task = worker.GeneratorWorker(job, *args)
        for signal, slot in ((task.yielded, yielded), (task.returned, returned), (task.errored, errored),
                             (task.aborted, aborted), (task.finished, finished)):
            if slot is not None:
                signal.connect(slot)
        task.finished.connect(lambda: self._workers.discard(task))
        self._workers.add(task)
        task.start()
        return task

    def _show(self, rgb) -> None:
        self.view.setPixmap(to_pixmap(rgb).scaled(self.view.size(), Qt.KeepAspectRatio, Qt.SmoothTransformation))

    def _show_position(self, index: int) -> None:
        if self.info is not None:
            self.position.setText(f"Frame {index + 1} of {self.info.frame_count}")

    def _refresh_buttons(self) -> None:
        ready = self.info is not None
        self.try_button.setEnabled(ready and self._trying is None)
        self.render_button.setEnabled(ready and self._rendering is None)
        self.cancel_button.setEnabled(self._rendering is not None)

    def done(self, result: int) -> None:
        """Closing the window stops its work: a render in progress is cancelled and leaves no file."""
        for task in list(self._workers):
            task.quit()
        super().done(result)

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        for task in list(self._workers):
            task.quit()
        super().closeEvent(event)


VIDEO_FILTER = "Videos (" + " ".join(f"*{suffix}" for suffix in VIDEO_SUFFIXES) + ")"


def open_video(window, path: Path) -> VideoWindow | None:
    """A video window for ``path`` beside the main ``window`` (whose backends and settings it uses)."""
    if window.host is None or not window.host.ids():
        QMessageBox.information(window, "Video", "No backend is ready yet to colorize a video.")
        return None
    dialog = VideoWindow(window.host, window.controls.settings, Path(path), window)
    window._dialogs.append(dialog)
    dialog.show()
    return dialog


def show_video(window) -> VideoWindow | None:
    """Ask for a clip, then open it."""
    chosen, _ = QFileDialog.getOpenFileName(window, "Open a video", str(Path.home()), VIDEO_FILTER)
    return open_video(window, Path(chosen)) if chosen else None
