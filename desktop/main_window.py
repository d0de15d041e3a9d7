"""The main window: viewer in the middle, controls and samples on the right, open photos along the bottom."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Callable

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMainWindow, QMessageBox, QSlider, QVBoxLayout, QWidget

from desktop import file_actions, menus, theme, worker
from desktop.color_chooser import HintPanel
from desktop.combine import CombinePanel
from desktop.controls import ControlsPanel, section_title
from desktop.exports import PHOTO_SUFFIXES, photos_in
from desktop.filmstrip import Filmstrip
from desktop.hint_controller import HintController
from desktop.images import mean_color, to_qimage
from desktop.job_queue import JobQueue
from desktop.notifications import NotificationArea
from desktop.reference_view import ReferenceView
from desktop.restore_controller import RestoreController
from desktop.restore_panel import RestorePanel
from desktop.sample_grid import MAX_TILE, MIN_TILE, RunPicker, SampleGrid
from desktop.state import ColorizeSettings, Notices, Session, SettingsStore
from desktop.state import saved_session
from desktop.state.saved_session import SavedSession
from desktop.state.session import DONE, PhotoDoc, Run
from desktop.session_keeper import SessionKeeper
from desktop.survey import SurveyView
from desktop.viewer import PhotoViewer
from plugins.errors import TinctError
from plugins.host import PluginHost

SIDE_PANEL_WIDTH = 340
_DEFAULT = object()


class MainWindow(QMainWindow):
    backends_ready = Signal()

    def __init__(self, store: SettingsStore, host_factory: Callable[[], PluginHost], probe_devices: bool = False,
                 session_file: Path | None | object = _DEFAULT):
        """``session_file``: where the session is kept between starts (None: nowhere); by default
        ``session.json`` in the user's data folder (tests get a private one from their conftest)."""
        super().__init__()
        self.setWindowTitle("Tinct")
        self.setWindowIcon(theme.icon("tinct"))
        self.setAcceptDrops(True)
        self.resize(1440, 920)
        self.store = store
        self.session = Session(self)
        self.notices = Notices(self)
        self.queue = JobQueue(self.session, self.notices)
        self.host: PluginHost | None = None
        self._shown: tuple[PhotoDoc | None, object] = (None, None)
        self._dialogs: list[QWidget] = []
        self._waiting_for_backends: list[PhotoDoc] = []  # asked to colorize before the backends were found
        self._fallbacks: dict[PhotoDoc, list[PhotoDoc | None]] = {}  # photos being read: what to show if they fail
        self._last_current: PhotoDoc | None = None
        self.discovery_error = ""
        self.keeper = SessionKeeper(self, saved_session.default_session_path() if session_file is _DEFAULT else session_file)
        self._quit_confirmed = False
        self._quit_box: QMessageBox | None = None
        self._build()
        self.hints = HintController(self)  # color hints and the reference photo (desktop/hint_controller.py)
        self.restore = RestoreController(self)  # the Restore panel and its preview (desktop/restore_controller.py)
        self.actions_ = menus.install(self)
        self._connect()
        self._refresh_all()
        self._host_factory = host_factory
        self._reported_failures: set = set()  # plugin failures already in a notice (discovery runs again)
        discovery = worker.GeneratorWorker(worker.discover_job, host_factory, probe_devices)
        discovery.returned.connect(self._discovered)
        discovery.errored.connect(self._discovery_failed)
        discovery.start()

    # -- layout ----------------------------------------------------------------------------
    def _build(self) -> None:
        self.viewer = PhotoViewer()
        self.filmstrip = Filmstrip(self.session)
        self.controls = ControlsPanel()
        self.samples = SampleGrid()
        self.samples.setMinimumHeight(180)
        self.combine = CombinePanel()
        self.hint_panel = HintPanel()
        self.restore_panel = RestorePanel()
        self.reference_view = ReferenceView()
        state = self.store.state
        self.combine.set_brush_settings(state.brush_size, state.brush_softness, state.brush_snap)
        self.run_picker = RunPicker()
        self.run_picker.setVisible(False)
        self.tile_slider = QSlider(Qt.Horizontal)
        self.tile_slider.setRange(MIN_TILE, MAX_TILE)
        self.tile_slider.setFixedWidth(72)
        self.tile_slider.setToolTip("Tile size: left, every sample fits; right, larger tiles that scroll "
                                    "(or Ctrl+wheel over the samples). N compares them large, side by side.")
        self.tile_slider.setValue(max(state.tile_size, MIN_TILE))
        self.samples.set_tile_size(state.tile_size)

        center = QWidget()
        center_layout = QVBoxLayout(center)
        center_layout.setContentsMargins(0, 0, 0, 0)
        center_layout.setSpacing(0)
        photo_row = QHBoxLayout()
        photo_row.setContentsMargins(0, 0, 0, 0)
        photo_row.setSpacing(0)
        photo_row.addWidget(self.viewer, 1)
        photo_row.addWidget(self.reference_view)  # beside the photo, while it has a reference
        center_layout.addLayout(photo_row, 1)
        center_layout.addWidget(self.filmstrip)
        self.survey = SurveyView(self.viewer)  # before the notifications: they stay on top of it
        self.notifications = NotificationArea(self.notices, self.viewer)

        panel = QWidget()
        panel.setObjectName("SidePanel")
        panel.setFixedWidth(SIDE_PANEL_WIDTH)
        side = QVBoxLayout(panel)
        side.setContentsMargins(16, 10, 14, 14)
        side.setSpacing(8)
        side.addWidget(self.controls)
        samples_header = QHBoxLayout()
        samples_header.addWidget(section_title("Samples"))
        samples_header.addStretch(1)
        samples_header.addWidget(self.tile_slider)
        side.addSpacing(4)
        side.addLayout(samples_header)
        side.addWidget(self.run_picker)  # a row of its own: "Run 18 · regression · seed 1234" needs the width
        self.samples.setToolTip("Click a sample to compare it with the original; double-click (or Enter, or C) marks it chosen")
        side.addWidget(self.samples, 1)
        side.addWidget(self.combine)
        side.addWidget(self.hint_panel)  # in the combine panel's place while the hint tool is out
        side.addWidget(self.restore_panel)  # likewise, while restoring

        body = QWidget()
        body_layout = QHBoxLayout(body)
        body_layout.setContentsMargins(0, 0, 0, 0)
        body_layout.setSpacing(0)
        body_layout.addWidget(center, 1)
        body_layout.addWidget(panel)
        self.setCentralWidget(body)

        self.zoom_label = QLabel("")
        self.size_label = QLabel("")
        self.save_label = QLabel("")
        self.save_label.setObjectName("Hint")
        self.save_label.setToolTip("What Save (Ctrl+S) writes for the photo on view")
        self.statusBar().addPermanentWidget(self.save_label)
        self.statusBar().addPermanentWidget(self.size_label)
        self.statusBar().addPermanentWidget(self.zoom_label)

    def _connect(self) -> None:
        s = self.session
        s.current_changed.connect(self._after_failed_open)  # first: a photo that failed to open gives way at once
        s.current_changed.connect(self._refresh_all)
        s.photos_changed.connect(self._refresh_all)
        s.photo_loaded.connect(lambda doc: doc is s.current and self._refresh_all())
        s.photo_loaded.connect(lambda doc: self.store.add_recent(doc.path))  # only photos that did open
        s.photo_loaded.connect(lambda doc: self._fallbacks.pop(doc, None))
        s.run_changed.connect(self._run_changed)
        s.sample_added.connect(self._sample_added)
        s.selection_changed.connect(lambda doc, run: doc is s.current and self._refresh_selection())
        s.combine_changed.connect(lambda doc, run: doc is s.current and self._refresh_selection())
        s.combining_changed.connect(lambda _on: self._refresh_selection())
        s.sample_guided.connect(self._sample_guided)
        s.unsaved_changed.connect(lambda doc: doc is s.current and self.setWindowModified(doc.unsaved))
        for changed in (s.unsaved_changed, s.selection_changed, s.photos_changed, s.current_changed):
            changed.connect(self.keeper.schedule)
        self.queue.lane_changed.connect(self._refresh_progress)
        self.queue.weights_wanted.connect(lambda backend_id: file_actions.locate_weights(self, backend_id))
        self.queue.lane_changed.connect(lambda: menus.update_enabled(self))  # Cancel follows the lane
        self.notices.posted.connect(lambda notice: self.statusBar().showMessage(notice.title, 8000))
        self.controls.colorize_requested.connect(self.colorize_current)
        self.controls.cancel_requested.connect(self.cancel)
        self.controls.settings_changed.connect(self._settings_changed)
        self.samples.viewed.connect(self.view_sample)
        self.samples.chosen.connect(self.choose_sample)
        self.samples.combined_viewed.connect(self.view_combined)
        self.run_picker.activated.connect(self._run_picked)
        self.combine.brush_toggled.connect(self.set_combining)
        self.combine.brush_changed.connect(self._update_brush)
        self.combine.brush_changed.connect(self._brush_settings_changed)
        self.tile_slider.valueChanged.connect(self._tile_size_picked)
        self.samples.tile_size_changed.connect(self._tile_size_wheeled)
        self.survey.chosen.connect(self.survey_choose)
        self.survey.chosen_and_left.connect(lambda index: (self.survey_choose(index), self.set_survey(False)))
        self.survey.left.connect(lambda: self.set_survey(False))
        self.combine.undo_requested.connect(self.undo_stroke)
        self.combine.redo_requested.connect(self.redo_stroke)
        self.combine.clear_requested.connect(self.clear_strokes)
        self.viewer.stroke_finished.connect(self._stroke_finished)
        self.viewer.zoom_changed.connect(lambda zoom: self.zoom_label.setText(("Fit · " if self.viewer.is_fitted() else "") + f"{zoom:.0%}"))
        self.filmstrip.close_requested.connect(self.queue.close_photo)
        self.filmstrip.colorize_requested.connect(self.colorize_doc)

    # -- backends ----------------------------------------------------------------------------
    def _discovered(self, result) -> None:
        host, devices = result
        self.host = host
        remembered = self.store.colorize  # before the controls announce their own defaults
        states = {entry.info.id: host.weights_status(entry).state for entry in host.backends}
        if remembered.backend_id not in host.ids():
            remembered = ColorizeSettings(backend_id=self._default_backend(host))
        self.controls.set_backends(host.backends, states, remembered.backend_id)
        self.controls.set_settings(remembered)
        if devices is not None:
            self.controls.set_available_devices({d.id for d in devices})
        for failure in host.failures:
            if failure in self._reported_failures:
                continue
            self._reported_failures.add(failure)
            self.notices.warning(f"Plugin {failure.name} is broken", f"{failure.stage} failed: {failure.message}", details=f"from {failure.distribution}")
        self.queue.set_host(host)
        waiting, self._waiting_for_backends = self._waiting_for_backends, []
        for doc in waiting:
            if doc in self.session.photos:
                self.queue.colorize(doc, self.controls.settings())
        if self.keeper.waiting:
            self.keeper.reopen()
        self.backends_ready.emit()

    def rediscover(self) -> None:
        """Look for backends again (a plugin was installed, removed or switched): they appear without a restart."""
        discovery = worker.GeneratorWorker(worker.discover_job, self._host_factory, False)
        discovery.returned.connect(self._rediscovered)
        discovery.errored.connect(lambda error: self.notices.error("Could not look for backends", str(error)))
        discovery.start()

    def _rediscovered(self, result) -> None:
        old = self.host
        self._discovered(result)
        if old is not None and old is not self.host and not self.queue.busy:
            old.unload_all()  # its backends' memory and worker processes; a run in progress keeps its own

    def _discovery_failed(self, error: BaseException) -> None:
        self.discovery_error = str(error)
        self._waiting_for_backends = []
        self.notices.error("Could not look for backends", self.discovery_error)
        if self.keeper.waiting:
            self.keeper.reopen()  # the photos, and a word on the runs that cannot be made

    def _default_backend(self, host: PluginHost) -> str:
        try:
            return host.default_backend().info.id if host.backends else ""
        except TinctError as error:  # e.g. TINCT_BACKEND names a backend that is not installed
            fallback = host.default_backend(from_environment=False).info.id
            self.notices.warning("Default backend not found", f"{error}; using {fallback}")
            return fallback

    def _settings_changed(self, settings) -> None:
        self.store.set_colorize(settings)

    # -- photos ------------------------------------------------------------------------------
    def open_paths(self, paths) -> list[PhotoDoc]:
        """Open photos (a folder opens the photos in it); unreadable ones end in a notice."""
        files = []
        for path in map(Path, paths):
            if path.is_dir():
                found = photos_in(path, self.host.ids() if self.host else ())
                if not found:
                    self.notices.info(f"No photos in {path.name}", "Only the photos directly inside a folder are opened, not those in its sub-folders.")
                files += found
            elif path.exists():
                files.append(path)
            else:
                self.notices.error(f"Could not open {path.name}", "no such file")
        before = self.session.current
        docs = self.session.open(files)
        for position, doc in enumerate(docs):
            if doc.original_preview is None:
                self._fallbacks[doc] = [*docs[position + 1:], before]
                self.queue.load(doc)
        return docs

    def _after_failed_open(self) -> None:
        """A photo on view that could not be read is closed: show the next photo opened with it, else the one
        on view before, rather than whichever neighbour the filmstrip gives."""
        gone, self._last_current = self._last_current, self.session.current
        fallbacks = self._fallbacks.pop(gone, None) if gone is not None and gone not in self.session.photos else None
        for closed in [doc for doc in self._fallbacks if doc not in self.session.photos]:
            del self._fallbacks[closed]  # closed while being read, not on view: nothing to give way to
        for fallback in fallbacks or ():
            if fallback in self.session.photos:
                if fallback is not self.session.current:
                    self.session.set_current(fallback)
                return

    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        paths = [Path(url.toLocalFile()) for url in event.mimeData().urls() if url.isLocalFile()]
        paths = [p for p in paths if p.is_dir() or p.suffix.lower() in PHOTO_SUFFIXES or p.exists()]
        if paths:
            event.acceptProposedAction()
            self.open_paths(paths)

    def current_run(self) -> tuple[PhotoDoc | None, Run | None]:
        doc = self.session.current
        return doc, (doc.current_run if doc is not None else None)

    # -- colorize, choose, combine ---------------------------------------------------------------
    def colorize_current(self) -> Run | None:
        doc = self.session.current
        if doc is None:
            self.notices.info("Open a photo first", "Drop photos on the window or press Ctrl+O.")
            return None
        return self.colorize_doc(doc)

    def colorize_doc(self, doc: PhotoDoc) -> Run | None:
        """Queue a run of ``doc``; before the backends are found (the settings name none yet), once they are."""
        if self.host is None and self.discovery_error:
            self.notices.error("No backends to colorize with", self.discovery_error)
            return None
        if self.host is None:
            if doc not in self._waiting_for_backends:
                self._waiting_for_backends.append(doc)
                self.notices.info("Looking for backends…", f"{doc.name} is colorized as soon as they are found.")
            return None
        return self.queue.colorize(doc, self.controls.settings())

    def colorize_all(self, again: bool = False) -> None:
        """Colorize the open photos that have no result yet (``again``: every photo that is not busy)."""
        todo = [doc for doc in self.session.photos if not doc.busy and (again or not doc.colorized)]
        for doc in todo:
            self.colorize_doc(doc)
        if not todo:
            self.statusBar().showMessage("Every open photo is colorized or on its way "
                                         "(Colorize ▸ Colorize All Again makes new runs).", 6000)

    def cancel(self) -> None:
        """Cancel the run of the photo on view (or, when it has none, a running batch); work on other
        photos goes on (Cancel All stops it)."""
        doc, _run = self.current_run()
        active = [run for run in (doc.runs if doc is not None else []) if run.active]
        for run in active:
            self.queue.cancel(run)
        if not active and self.queue.batch_running:
            self.queue.cancel_batch()
            self.statusBar().showMessage("Batch cancelled.", 6000)
        elif not active:
            elsewhere = sum(run.active for other in self.session.photos for run in other.runs)
            self.statusBar().showMessage(
                f"Nothing to cancel on this photo; {elsewhere} run(s) on other photos go on (Shift+Esc cancels all)."
                if elsewhere else "Nothing is running.", 6000)

    def cancel_all(self) -> None:
        self.queue.cancel_all()

    def view_sample(self, index: int) -> None:
        doc, run = self.current_run()
        if run is not None:
            self.session.view(doc, run, index)

    def view_combined(self) -> None:
        doc, run = self.current_run()
        if run is not None:
            self.session.view_combined(doc, run)

    def choose_sample(self, index: int | None = None) -> None:
        doc, run = self.current_run()
        if run is not None:
            self.session.choose(doc, run, run.viewed if index is None else index)

    def set_combining(self, on: bool) -> None:
        doc, run = self.current_run()
        if on and run is not None and run.brush_source is None and run.samples:
            others = [k for k in sorted(run.samples) if k != run.base]
            run.brush_source = run.viewed if run.viewed not in (None, run.base) else (others[0] if others else run.base)
        self.session.set_combining(on)

    def paint_stroke(self, points) -> None:
        doc, run = self.current_run()
        if run is not None and run.brush_source is not None:
            self._mask(doc, run)
            self.session.paint(doc, run, self.combine.make_stroke(points, run.brush_source))

    def _mask(self, doc: PhotoDoc, run: Run):
        """The run's combine mask, with the photo's lightness as the guide edge-aware strokes follow."""
        mask = self.session.mask_for(doc, run)
        if mask is not None and not mask.has_guide and doc.preview_lightness is not None:
            mask.set_guide(doc.lightness_for(run))
        return mask

    def _brush_settings_changed(self) -> None:
        state = self.store.state
        state.brush_size, state.brush_softness, state.brush_snap = self.combine.brush_settings()

    # -- the samples' tiles and the survey --------------------------------------------------------------
    def _tile_size_picked(self, value: int) -> None:
        size = 0 if value <= MIN_TILE else value
        self.samples.set_tile_size(size)
        self.store.state.tile_size = size

    def _tile_size_wheeled(self, size: int) -> None:
        self.tile_slider.blockSignals(True)
        self.tile_slider.setValue(max(size, MIN_TILE))
        self.tile_slider.blockSignals(False)
        self.store.state.tile_size = size

    def set_survey(self, on: bool) -> None:
        """Show (or leave) the survey of the current run's samples over the photo view."""
        _doc, run = self.current_run()
        on = on and run is not None and len(run.samples) >= 2
        if on:
            self.survey.show_run(run)
            self.survey.show()
            self.survey.raise_()
            self.notifications.raise_()
            self.survey.setFocus()
        elif self.survey.isVisible():
            self.survey.hide()
            self.viewer.setFocus()
        action = getattr(getattr(self, "actions_", None), "survey", None)
        if action is not None and action.isChecked() != on:
            action.blockSignals(True)
            action.setChecked(on)
            action.blockSignals(False)

    def survey_choose(self, index: int) -> None:
        doc, run = self.current_run()
        if run is not None and index in run.samples:
            self.session.view(doc, run, index)
            self.session.choose(doc, run, index)

    _stroke_finished = paint_stroke

    def undo_stroke(self) -> None:
        doc, run = self.current_run()
        if run is not None:
            self.session.undo_stroke(doc, run)

    def redo_stroke(self) -> None:
        doc, run = self.current_run()
        if run is not None:
            self.session.redo_stroke(doc, run)

    def clear_strokes(self) -> None:
        doc, run = self.current_run()
        if run is not None:
            self.session.clear_strokes(doc, run)

    def _run_picked(self, row: int) -> None:
        doc = self.session.current
        if doc is not None and 0 <= row < len(doc.runs):
            self.session.show_run(doc, doc.runs[row])

    # -- drawing the state --------------------------------------------------------------------------
    def _refresh_all(self) -> None:
        doc, run = self.current_run()
        self.setWindowTitle(f"{doc.name}[*] — Tinct" if doc else "Tinct")
        self.setWindowModified(doc is not None and doc.unsaved)
        self.size_label.setText(f"{doc.size[0]} × {doc.size[1]} px" if doc and doc.size else "")
        self.filmstrip.setVisible(len(self.session.photos) > 1)
        self._refresh_runs()
        self._refresh_selection()

    def _refresh_runs(self) -> None:
        doc, run = self.current_run()
        aspect = None
        if doc is not None and doc.original_preview is not None:
            aspect = doc.original_preview.shape[0] / doc.original_preview.shape[1]
        self.samples.show_run(run, aspect, self.session.combining)
        self.run_picker.clear()
        if doc is not None:
            for item in doc.runs:
                self.run_picker.addItem(item.label())
            self.run_picker.setCurrentIndex(doc.runs.index(run) if run in doc.runs else -1)
        self.run_picker.setVisible(doc is not None and len(doc.runs) > 1)
        self._refresh_progress()

    def _refresh_selection(self) -> None:
        doc, run = self.current_run()
        combining = self.session.combining and run is not None and len(run.samples) > 1
        before = to_qimage(doc.original_preview) if doc is not None else None
        if self.restore.previewing:  # the Restore panel is out: the scan before and after restoration
            after = self.restore.preview_image()
        else:
            after = to_qimage(self._shown_result(run, combining))
        photo_size = QSize(*doc.size) if doc is not None and doc.size else None
        if self._shown[0] is not doc or self._shown[1] is not (doc.original_preview if doc else None):
            self.viewer.set_photo(before, after, photo_size)
            self._shown = (doc, doc.original_preview if doc else None)
        else:
            self.viewer.set_after(after)
        self.samples.update_marks(combining)
        if self.survey.isVisible():
            if run is not None and len(run.samples) >= 2:
                self.survey.show_run(run)
            else:
                self.set_survey(False)
        self._refresh_save_label()
        self.combine.update_state(run, combining)
        self._update_brush()
        menus.update_enabled(self)

    def _shown_result(self, run: Run | None, combining: bool):
        if run is None or not run.samples:
            return None
        if run.has_strokes and (combining or run.viewed is None):
            if run.combined_preview is not None:
                return run.combined_preview
            return run.samples[run.base].preview  # while the mix renders
        if combining and run.base is not None:
            return run.samples[run.base].preview
        index = run.viewed if run.viewed is not None else min(run.samples)
        return run.samples[index].preview

    def _update_brush(self) -> None:
        _doc, run = self.current_run()
        combining = self.session.combining and run is not None and len(run.samples) > 1
        color = None
        if combining and run.brush_source in run.samples:
            color = mean_color(run.samples[run.brush_source].thumbnail)
        self.viewer.set_brush(combining, self.combine.radius(), color)

    def _refresh_save_label(self) -> None:
        _doc, run = self.current_run()
        writes = file_actions.save_writes(run)
        self.save_label.setText(f"Save writes: {writes}" if writes else "")

    def _run_changed(self, doc: PhotoDoc, run: Run) -> None:
        if run.restoring is not None and run.state == DONE:
            self._mask(doc, run)  # the guide first: the restored strokes are replayed along the photo's edges
        self.keeper.run_changed(doc, run)
        if doc is self.session.current:
            if run is doc.current_run and self.samples.run() is not run:
                self._refresh_runs()
                self._refresh_selection()
            elif self.samples.run() is run:
                self.samples.viewport().update()  # tiles of samples never made stop saying "making…"
            self._refresh_progress()
            menus.update_enabled(self)

    def _sample_added(self, doc: PhotoDoc, run: Run, sample) -> None:
        if doc is self.session.current:
            self.samples.add_sample(run, sample.index)
            if self.survey.isVisible() and self.survey.run() is run:
                self.survey.show_run(run)
            self._refresh_save_label()
            self.combine.update_state(run, self.session.combining)
            menus.update_enabled(self)

    def _sample_guided(self, doc: PhotoDoc, run: Run, sample) -> None:
        """A sample now shows the photo's latest hints (desktop/guidance.py): redraw the result if it is on view."""
        if run is self.current_run()[1] and (sample.index in (run.viewed, run.base) or self.survey.isVisible()):
            self._refresh_selection()

    def _refresh_progress(self) -> None:
        _doc, run = self.current_run()
        queued = len(self.queue.pending)
        self.controls.set_progress(run, queued)

    # -- keeping the session (desktop/session_keeper.py) -----------------------------------------------------
    def offer_reopen(self) -> None:
        self.keeper.offer_reopen()

    def reopen_last_session(self) -> None:
        self.keeper.reopen()

    def write_session(self) -> bool:
        return self.keeper.write()

    def backend_versions(self) -> dict[str, str]:
        return {entry.info.id: entry.info.version for entry in self.host.backends} if self.host is not None else {}

    @property
    def session_file(self) -> Path | None:
        return self.keeper.path

    @property
    def kept_session(self) -> SavedSession:
        return self.keeper.kept

    # -- closing ---------------------------------------------------------------------------------------
    def ask_to_quit(self, unsaved: int, answer: Callable[[bool], None]) -> None:
        """Ask whether to quit with ``unsaved`` photos' results not saved; ``answer(True)`` quits.
        Window-modal, never blocking: tests replace this method to answer at once."""
        if self._quit_box is not None and self._quit_box.isVisible():
            self._quit_box.raise_()
            return
        self._quit_box = menus.ask_to_quit(self, unsaved, answer)

    def _quit_answered(self, quit_: bool) -> None:
        if quit_:
            self._quit_confirmed = True
            self.close()

    def closeEvent(self, event) -> None:
        unsaved = self.session.unsaved_photos()
        if unsaved and self.isVisible() and not self._quit_confirmed:
            asking, answers = True, []

            def reply(quit_: bool) -> None:  # at once (this close goes on) or later (it closes again)
                if asking:
                    answers.append(quit_)
                else:
                    self._quit_answered(quit_)

            self.ask_to_quit(len(unsaved), reply)
            asking = False
            if answers != [True]:
                event.ignore()
                return
        self._quit_confirmed = False
        if not self.write_session():
            print(f"tinct: could not keep the session in {self.session_file}", file=sys.stderr)
        try:
            self.store.save()
        except OSError as error:  # the window is going: stderr is all that is left to say it on
            print(f"tinct: could not save the settings to {self.store.path}: {error.strerror or error}", file=sys.stderr)
        finally:
            self.queue.shutdown()
        for dialog in self._dialogs:
            dialog.close()
        super().closeEvent(event)
