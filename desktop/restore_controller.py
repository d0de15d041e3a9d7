"""Restoration in the window: the Restore panel, the before/after preview of the restored lightness, and
the dust-and-scratches mask brush.

The photo's settings live in ``PhotoDoc.restore`` (desktop/state/restoration.py), so they go with
the photo's session; a run takes them as they are when it starts (desktop/job_queue.py) and its
backend gets the restored lightness (with grain, plugins.host.grain). The preview is made off the
GUI thread from the full-resolution photo, one job at a time: a setting changed while one runs stops it at its next step and the newest
settings are restored next; each step's last result is kept, so a brush stroke redoes only the
filling. While the panel is out, the photo view shows the scan before and after restoration
(the window asks :meth:`RestoreController.preview_image`); while the mask is shown, the scan before
the filling, with the mask over it (desktop/restore_tool.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from weakref import WeakKeyDictionary

import cv2
import numpy as np
from PySide6.QtCore import QEvent, QObject, Signal
from PySide6.QtGui import QImage

from desktop import menus, worker
from desktop.exports import to_uint8
from desktop.images import to_qimage
from desktop.restore_panel import ADD, ERASE, SHOW
from desktop.restore_tool import MASK_ALPHA, MASK_COLOR, MaskTool
from desktop.state.notices import TASK, advice_for
from desktop.state.restoration import (
    STEP_NAMES,
    MaskStroke,
    RestoreSettings,
    StageCache,
    apply_strokes,
    estimated_denoise_strength,
    restoring,
    shrink_mask,
)
from desktop.state.session import QUEUED, PhotoDoc, Run
from plugins.color import lightness_to_gray
from plugins.imageio import read_photo

TINTED_NOTE_START = "already in color"
"""How the photo reader's note on a color (sepia, yellowed…) scan begins (plugins/imageio/read.py)."""


class PhotoSource:
    """One photo's full-resolution lightness, read once, and its steps' last results (``StageCache``).
    Used by one preview job at a time."""

    def __init__(self, doc: PhotoDoc):
        self.path = doc.path
        self.lightness: np.ndarray | None = None
        self.cache = StageCache()


@dataclass(frozen=True, eq=False)
class RestorePreview:
    """A photo restored with ``settings``, at the preview's size."""

    settings: RestoreSettings
    lightness: np.ndarray
    """The restored L*."""
    before_fill: np.ndarray
    """L* before the dust and scratches were filled: what the mask is shown over."""
    shown: np.ndarray
    """``uint8 (h, w, 3)``: ``lightness`` as the gray the view shows (made off the GUI thread too)."""
    shown_before_fill: np.ndarray
    """Likewise ``before_fill``."""
    detected: np.ndarray | None
    """``bool``: the dust and scratches found (before the user's strokes); None without that step."""
    mask: np.ndarray | None
    """``bool``: the pixels filled, the found ones with the user's strokes (made at full resolution)."""
    filled_share: float | None
    """The share of the photo filled (at full resolution); None without the dust-and-scratches step."""
    scale: float
    """The preview's width over the photo's: full-resolution px times this are preview px."""
    notes: tuple[str, ...]
    failures: tuple[str, ...]
    noise_sigma: float | None


def preview_job(source: PhotoSource, settings: RestoreSettings, shape: tuple[int, int]):
    """Restore ``source``'s photo as ``settings`` say and shrink the results to ``shape`` (a worker job);
    yields the name of each step as it starts."""
    if source.lightness is None:
        yield "reading"
        source.lightness = read_photo(source.path).lightness
    steps = restoring(source.lightness, settings, source.cache, measure_noise=True)
    while True:
        try:
            yield next(steps)
        except StopIteration as done:
            result = done.value
            break
    height, width = shape

    def shrink(lightness: np.ndarray) -> np.ndarray:
        if lightness.shape == tuple(shape):
            return lightness
        return cv2.resize(lightness, (width, height), interpolation=cv2.INTER_AREA)

    detected = shrink_mask(result.detected, shape) if result.detected is not None else None
    mask = shrink_mask(result.mask, shape) if result.mask is not None else None
    share = float(result.mask.mean()) if result.mask is not None else None
    lightness, before_fill = shrink(result.lightness), shrink(result.before_fill)
    shown = gray_rgb(lightness)
    return RestorePreview(settings, lightness, before_fill, shown,
                          gray_rgb(before_fill) if result.mask is not None else shown, detected, mask, share,
                          width / source.lightness.shape[1], result.notes, result.failures, result.noise_sigma)


def gray_rgb(lightness: np.ndarray) -> np.ndarray:
    gray = to_uint8(lightness_to_gray(lightness))
    return np.dstack([gray] * 3)


class RestoreController(QObject):
    preview_ready = Signal(object)  # PhotoDoc: a preview of its current settings is on view
    active_changed = Signal(bool)

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.session = window.session
        self.panel = window.restore_panel
        self.tool = MaskTool(self)
        self.active = False
        self.mask_mode = ""
        self.brush_radius = self.panel.brush_radius()
        self._tool_out = False
        self._source: tuple[PhotoDoc, PhotoSource] | None = None  # the photo on view's only: it is large
        self._previews: WeakKeyDictionary[PhotoDoc, RestorePreview] = WeakKeyDictionary()
        self._failed: WeakKeyDictionary[PhotoDoc, tuple[RestoreSettings, str]] = WeakKeyDictionary()
        self._redo: WeakKeyDictionary[PhotoDoc, list[MaskStroke]] = WeakKeyDictionary()
        self._job: worker.GeneratorWorker | None = None
        self._job_target: tuple[PhotoDoc, RestoreSettings] | None = None
        self._step = ""
        self._images: dict[str, tuple[object, QImage]] = {}  # what was drawn last, and its image
        self._shown_preview = False  # the photo view shows the restoration (so it must be drawn back after)
        self.panel.setVisible(False)
        self._connect()
        self.refresh()

    def _connect(self) -> None:
        s, panel = self.session, self.panel
        s.current_changed.connect(self._current_changed)
        s.photo_loaded.connect(self._photo_loaded)
        s.restoration_changed.connect(self._restoration_changed)
        s.restoration_changed.connect(self.window.keeper.schedule)  # kept with the session
        s.combining_changed.connect(lambda on: on and self.set_active(False))
        s.run_changed.connect(self._run_changed)
        panel.done_requested.connect(lambda: self.set_active(False))
        panel.settings_edited.connect(self.edit_settings)
        panel.mask_mode_changed.connect(self.set_mask_mode)
        panel.brush_changed.connect(self._brush_changed)
        panel.undo_requested.connect(self.undo)
        panel.redo_requested.connect(self.redo)
        panel.clear_requested.connect(self.clear_edits)
        # The hint tool and this panel take the same place in the window: the hint panel showing puts this one away.
        self.window.hint_panel.installEventFilter(self)

    def eventFilter(self, watched, event) -> bool:
        if watched is self.window.hint_panel and event.type() == QEvent.Show and self.active:
            self.set_active(False)
        return False

    # -- what is on view -------------------------------------------------------------------------------
    def doc(self) -> PhotoDoc | None:
        """The photo on view, once it is read."""
        doc = self.session.current
        return doc if doc is not None and doc.preview_lightness is not None and doc.size is not None else None

    @property
    def previewing(self) -> bool:
        """The photo view shows the restoration's before and after (the panel is out, a photo is read)."""
        return self.active and self.doc() is not None

    @property
    def busy(self) -> bool:
        """A preview is being made."""
        return self._job is not None

    def preview(self, doc: PhotoDoc | None = None) -> RestorePreview | None:
        """The latest preview of ``doc`` (the photo on view), of its current settings or not."""
        doc = doc or self.doc()
        return self._previews.get(doc) if doc is not None else None

    def preview_image(self) -> QImage | None:
        """What the photo view shows as "after" while previewing: the restored photo (before the filling while
        the mask is shown); the photo itself when no step is on; None until the first preview is made."""
        doc = self.doc()
        if doc is None:
            return None
        if not doc.restore.active:
            return self._image("original", doc.original_preview, lambda: to_qimage(doc.original_preview))
        preview = self.preview(doc)
        if preview is None:
            return None
        if self.mask_mode and doc.restore.scratches:
            return self._image("before_fill", preview.shown_before_fill, lambda: to_qimage(preview.shown_before_fill))
        return self._image("restored", preview.shown, lambda: to_qimage(preview.shown))

    def overlay(self) -> QImage | None:
        """The dust-and-scratches mask (as found, with the user's strokes) in red, at the preview's size."""
        doc = self.doc()
        preview = self.preview(doc)
        if preview is None or preview.detected is None or not doc.restore.scratches:
            return None
        strokes = doc.restore.strokes

        def make() -> QImage:
            mask = apply_strokes(preview.detected, strokes, preview.scale)
            height, width = mask.shape
            rgba = np.zeros((height, width, 4), np.uint8)
            rgba[mask] = (*MASK_COLOR, MASK_ALPHA)
            return QImage(rgba.data, width, height, 4 * width, QImage.Format_RGBA8888).copy()

        return self._image("overlay", (preview, strokes), make)

    def _image(self, slot: str, source: object, make) -> QImage:
        kept = self._images.get(slot)
        if kept is None or kept[0] is not source and not (isinstance(source, tuple) and kept[0] == source):
            kept = self._images[slot] = (source, make())
        return kept[1]

    # -- the panel ---------------------------------------------------------------------------------------
    def set_active(self, on: bool) -> None:
        """Take the Restore panel out (the photo view then shows the restoration) or put it away."""
        on = bool(on) and self.doc() is not None
        if on and self.window.hints.active:
            self.window.hints.set_active(False)
        if on and self.session.combining:
            self.window.set_combining(False)
        changed = on != self.active
        self.active = on
        if on:
            self.window.combine.setVisible(False)  # first: both at once would grow the window
            self.panel.setVisible(True)
        else:
            self.panel.setVisible(False)
            self.window.combine.setVisible(not self.window.hints.active)
        self._update_tool()
        self.schedule()
        self.refresh()
        if changed:
            self.active_changed.emit(on)

    def edit_settings(self, settings: RestoreSettings) -> None:
        """The panel's steps and strengths for the photo on view (its mask edits stay)."""
        doc = self.doc()
        if doc is not None:
            self.session.set_restoration(doc, settings.with_changes(strokes=doc.restore.strokes))

    def set_mask_mode(self, mode: str) -> None:
        """Show the mask (SHOW), paint on it (ADD, ERASE), or neither ("")."""
        self.mask_mode = mode if mode in (SHOW, ADD, ERASE) else ""
        self._update_tool()
        self.refresh()

    def _brush_changed(self, radius: float) -> None:
        self.brush_radius = radius
        self.window.viewer.update()

    def _update_tool(self) -> None:
        out = self.active and bool(self.mask_mode) and self.doc() is not None and self.doc().restore.scratches
        if out:
            self.window.viewer.set_tool(self.tool)
        elif self._tool_out:
            self.window.viewer.set_tool(None)
        self._tool_out = out

    # -- mask edits --------------------------------------------------------------------------------------
    def add_stroke(self, points, erase: bool) -> None:
        """A brush stroke over full-resolution ``points``: adds to the mask, or (``erase``) takes from it."""
        doc = self.doc()
        if doc is None or not points:
            return
        stroke = MaskStroke(tuple((float(x), float(y)) for x, y in points), float(self.brush_radius), bool(erase))
        self._redo[doc] = []
        self.session.set_restoration(doc, doc.restore.with_changes(strokes=doc.restore.strokes + (stroke,)))

    def undo(self) -> None:
        doc = self.doc()
        if doc is not None and doc.restore.strokes:
            self._redo.setdefault(doc, []).append(doc.restore.strokes[-1])
            self.session.set_restoration(doc, doc.restore.with_changes(strokes=doc.restore.strokes[:-1]))

    def redo(self) -> None:
        doc = self.doc()
        if doc is not None and self._redo.get(doc):
            stroke = self._redo[doc].pop()
            self.session.set_restoration(doc, doc.restore.with_changes(strokes=doc.restore.strokes + (stroke,)))

    def clear_edits(self) -> None:
        doc = self.doc()
        if doc is not None and doc.restore.strokes:
            self._redo[doc] = []
            self.session.set_restoration(doc, doc.restore.with_changes(strokes=()))

    # -- previews -----------------------------------------------------------------------------------------
    def schedule(self) -> None:
        """Make a preview of the photo on view's current settings, unless there is one or one is being made."""
        doc = self.doc()
        if not self.active or doc is None:
            return
        settings = doc.restore
        preview = self._previews.get(doc)
        if preview is not None and preview.settings == settings:
            return
        if self._job is not None:
            if self._job_target != (doc, settings):
                self._job.quit()  # stale: it stops before its next step, then these settings are restored
            return
        failed = self._failed.get(doc)
        if failed is not None and failed[0] == settings:
            return
        job = worker.GeneratorWorker(preview_job, self._source_for(doc), settings, doc.preview_lightness.shape)
        job.yielded.connect(self._step_started)  # methods, not lambdas: Qt drops them once this controller is gone
        job.returned.connect(self._previewed)
        job.errored.connect(self._preview_failed)
        job.finished.connect(self._job_finished)
        self._job, self._job_target, self._step = job, (doc, settings), ""
        job.start()
        self.refresh_panel()

    def _source_for(self, doc: PhotoDoc) -> PhotoSource:
        if self._source is None or self._source[0] is not doc:
            self._source = (doc, PhotoSource(doc))
        return self._source[1]

    def _step_started(self, step: str) -> None:
        self._step = step
        self.refresh_panel()

    def _previewed(self, preview: RestorePreview) -> None:
        doc = self._job_target[0]
        if doc not in self.session.photos:
            return
        self._previews[doc] = preview
        self._failed.pop(doc, None)
        if doc is self.doc():
            self.refresh()
        if preview.settings == doc.restore:
            self.preview_ready.emit(doc)

    def _preview_failed(self, error: BaseException) -> None:
        doc, settings = self._job_target
        self._failed[doc] = (settings, str(error))
        self.window.notices.error(f"Could not restore {doc.name}", str(error), advice=advice_for(error, TASK))

    def _job_finished(self) -> None:
        self._job = self._job_target = None
        self._step = ""
        self.schedule()
        self.refresh_panel()

    # -- following the session ---------------------------------------------------------------------------
    def _run_changed(self, doc: PhotoDoc, run: Run) -> None:
        """A run of the photo on view was queued: the panel gives way, so that its samples show as they come."""
        if self.active and doc is self.session.current and run.state == QUEUED and not run.samples:
            self.set_active(False)

    def _current_changed(self) -> None:
        if self._source is not None and self._source[0] is not self.session.current:
            self._source = None  # a full-resolution photo is large: only the one on view's is kept
        if self.active and self.doc() is None and self.session.current is None:
            self.set_active(False)
            return
        self._update_tool()
        self.schedule()
        self.refresh()

    def _photo_loaded(self, doc: PhotoDoc) -> None:
        """Read (again): a file changed meanwhile has its previews made again."""
        preview = self._previews.get(doc)
        if preview is not None and preview.lightness.shape != doc.preview_lightness.shape:
            self._previews.pop(doc, None)
        if self._source is not None and self._source[0] is doc:
            self._source = None
        if doc is self.session.current:
            self._update_tool()
            self.schedule()
            self.refresh()

    def _restoration_changed(self, doc: PhotoDoc) -> None:
        if doc is self.session.current:
            self._update_tool()
            self.schedule()
            self.refresh()

    # -- drawing -----------------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Redraw the panel, and the photo view while it shows the restoration."""
        self.refresh_panel()
        if self.active or self._shown_preview:
            self.window._refresh_selection()  # noqa: SLF001 - the window draws the viewer; it asks preview_image
        self._shown_preview = self.previewing
        self.window.viewer.update()
        menus.update_enabled(self.window)

    def refresh_panel(self) -> None:
        doc = self.doc()
        settings = doc.restore if doc is not None else RestoreSettings()
        preview = self.preview(doc)
        sigma = preview.noise_sigma if preview is not None else None
        estimate = estimated_denoise_strength(sigma) if sigma is not None else None
        tinted = doc is not None and any(note.startswith(TINTED_NOTE_START) for note in doc.notes)
        details = "\n".join(_sentence(line) for line in (*preview.notes, *preview.failures)) if preview is not None else ""
        self.panel.update_state(settings=settings, photo=doc is not None, tinted=tinted, estimate=estimate,
                                sigma=sigma, mask_mode=self.mask_mode, can_undo=bool(settings.strokes),
                                can_redo=bool(doc is not None and self._redo.get(doc)), status=self._status(doc),
                                details=details)

    def _status(self, doc: PhotoDoc | None) -> str:
        if doc is None:
            return "Open a photo first."
        settings = doc.restore
        if self._job is not None and self._job_target[0] is doc:
            step = "reading the photo" if self._step == "reading" else STEP_NAMES.get(self._step, "")
            return f"Restoring{': ' + step if step else ''}…"
        failed = self._failed.get(doc)
        if failed is not None and failed[0] == settings:
            return f"Could not restore: {failed[1]}"
        if not settings.active:
            return "No step is on: the photo is colorized as it is."
        lines = []
        preview = self.preview(doc)
        if preview is not None and preview.failures:
            lines.append(_sentence(preview.failures[0]))
        elif preview is not None and preview.filled_share is not None:
            edits = len(settings.strokes)
            lines.append(f"Dust and scratches: {100 * preview.filled_share:.1f} % of the photo filled"
                         + (f" ({edits} mask edit{'s' if edits != 1 else ''})." if edits else "."))
        lines.append("Colorize (Ctrl+R) to use it: the backend, and Save, get the restored photo.")
        return "\n".join(lines)


def _sentence(text: str) -> str:
    text = text.strip()
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")
