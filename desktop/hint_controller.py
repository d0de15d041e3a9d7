"""Color hints in the window: the hint tool, the chooser, the eyedropper and the renders that keep the
samples showing the hints and the reference photo.

What a hint is and its history: desktop/state/hints.py. The tool on the photo view:
desktop/hint_tool.py. The panel: desktop/color_chooser.py. Applying the hints to the samples
in the background: desktop/guidance.py. The reference photo: desktop/reference_photos.py. This
module wires them to the window's session, settings and notices; the window makes one
(``window.hints``).
"""

from __future__ import annotations

from pathlib import Path
from weakref import WeakKeyDictionary

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QColorDialog

from desktop import menus, worker
from desktop.guidance import GuidanceRenderer
from desktop.hint_rerun import HintRerun
from desktop.hint_tool import HintTool
from desktop.reference_photos import ReferencePhotos
from desktop.reference_view import color_at
from desktop.sample_grid import COMBINED, INDEX
from desktop.state.hints import (
    Hint,
    clamp_point,
    default_radius,
    disc_mean_ab,
    lab_hex,
    lightness_at,
    max_radius,
    suggested_colors,
    with_recent,
)
from desktop.state.notices import TASK, advice_for
from desktop.state.restoration import RestoreSettings
from desktop.state.session import PhotoDoc
from plugins.types import Capability

NO_COLOR = "#808080"
"""A new hint's color before any sample is made: gray, no chroma."""


class HintController(QObject):
    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.session = window.session
        self.panel = window.hint_panel
        self.reference_view = window.reference_view
        self.tool = HintTool(self)
        self.renderer = GuidanceRenderer(self.session, self.capabilities)
        self.rerun = HintRerun(self.session, lambda doc, run: self.window.queue.colorize(
            doc, run.settings, run.restoration if run.restoration is not None else RestoreSettings()), self.capabilities)
        self.references = ReferencePhotos(window, self.capabilities)
        self.active = False
        self.selected: int | None = None
        self.picking = False
        self._selected_doc: PhotoDoc | None = None
        self._radius: WeakKeyDictionary[PhotoDoc, float] = WeakKeyDictionary()  # per photo: new hints' radius
        self._color_dialog: QColorDialog | None = None
        self._warmed = False
        self.panel.setVisible(False)
        self._connect()
        self.refresh()

    def _connect(self) -> None:
        s, panel = self.session, self.panel
        s.hints_changed.connect(lambda doc: doc is s.current and self.refresh())
        s.current_changed.connect(self.refresh)
        s.photo_loaded.connect(lambda doc: doc is s.current and self.refresh())
        s.sample_added.connect(lambda doc, run, sample: doc is s.current and self.refresh())
        s.sample_guided.connect(self._sample_guided)
        s.run_changed.connect(lambda doc, run: doc is s.current and self.panel.message.setText(self._message(doc)))
        s.combining_changed.connect(lambda on: on and self.set_active(False))
        self.renderer.settled.connect(lambda doc: doc is s.current and self.refresh())
        self.renderer.failed.connect(lambda doc, error: self.window.notices.error(
            f"Could not apply the hints to {doc.name}", str(error), advice=advice_for(error, TASK)))
        panel.tool_toggled.connect(self.set_active)
        panel.color_picked.connect(self.apply_color)
        panel.eyedropper_toggled.connect(self.set_picking)
        panel.more_colors_requested.connect(self.open_color_dialog)
        panel.radius_changed.connect(self.resize_selected)
        panel.delete_requested.connect(self.remove_selected)
        panel.clear_requested.connect(self.clear_hints)
        panel.undo_requested.connect(self.undo)
        panel.redo_requested.connect(self.redo)
        panel.reference_requested.connect(self.references.choose)
        panel.reference_removed.connect(self.references.remove)
        self.reference_view.picked.connect(self._picked)
        self.window.samples.viewport().installEventFilter(self)

    # -- what is on view ---------------------------------------------------------------------------
    def doc(self) -> PhotoDoc | None:
        doc = self.session.current
        return doc if doc is not None and doc.size is not None and doc.preview_lightness is not None else None

    def hints(self) -> tuple[Hint, ...]:
        doc = self.session.current
        return doc.hints.hints if doc is not None else ()

    def capabilities(self, backend_id: str) -> frozenset:
        host = self.window.host
        if host is None or backend_id not in host.ids():
            return frozenset()
        return host.get(backend_id).info.capabilities

    def set_active(self, on: bool) -> None:
        """Switch the hint tool on the photo view on or off (off while the combine brush paints)."""
        on = bool(on) and self.doc() is not None
        if on and self.session.combining:
            self.window.set_combining(False)
        if on and not self.active and not self._warmed:
            self._warmed = True  # scipy's import holds the interpreter a while: before the first click, not after it
            worker.GeneratorWorker(_import_propagation).start()
        self.active = on
        self.window.viewer.set_tool(self.tool if on else None)
        if not on:
            self.set_picking(False)
        hidden, shown = (self.window.combine, self.panel) if on else (self.panel, self.window.combine)
        hidden.setVisible(False)  # first: both at once would grow the window
        shown.setVisible(True)
        self.refresh()

    # -- edits -------------------------------------------------------------------------------------
    def add_hint(self, x: float, y: float) -> int | None:
        """A hint at full-resolution ``(x, y)``, of the color the result shows there; selected. Returns its index."""
        doc = self.doc()
        if doc is None:
            return None
        x, y = clamp_point(x, y, doc.size)
        radius = self._radius.get(doc) or default_radius(doc.size)
        index = doc.hints.add(Hint(x, y, self._shown_color(doc, x, y, radius), radius))
        self.selected, self._selected_doc = index, doc
        self.session.hints_edited(doc)
        return index

    def move_hint(self, index: int, x: float, y: float, record: bool = True) -> None:
        doc = self.doc()
        if doc is not None:
            doc.hints.move(index, *clamp_point(x, y, doc.size), record=record)
            self.session.hints_edited(doc)

    def remove_hint(self, index: int) -> None:
        doc = self.doc()
        if doc is None or not 0 <= index < len(doc.hints):
            return
        doc.hints.remove(index)
        self.selected = None
        self.session.hints_edited(doc)

    def remove_selected(self) -> None:
        if self.selected_hint() is not None:
            self.remove_hint(self.selected)

    def select_hint(self, index: int | None) -> None:
        self.selected, self._selected_doc = index, self.session.current
        doc = self.doc()
        if doc is not None and index is not None and 0 <= index < len(doc.hints):
            self._radius[doc] = doc.hints.hints[index].radius
        self.refresh()

    def apply_color(self, color: str) -> None:
        """Give the selected hint ``color`` ("#rrggbb"), and remember it among the recent colors."""
        doc = self.doc()
        if doc is None or self.selected is None or not 0 <= self.selected < len(doc.hints):
            return
        state = self.window.store.state
        state.recent_colors = with_recent(state.recent_colors, color)
        doc.hints.recolor(self.selected, color)
        self.session.hints_edited(doc)

    def resize_selected(self, radius: float) -> None:
        doc = self.doc()
        if doc is None:
            return
        self._radius[doc] = radius
        if self.selected is not None and 0 <= self.selected < len(doc.hints):
            doc.hints.resize(self.selected, radius)
            self.session.hints_edited(doc)

    def clear_hints(self) -> None:
        doc = self.doc()
        if doc is not None and len(doc.hints):
            doc.hints.clear()
            self.selected = None
            self.session.hints_edited(doc)

    def undo(self) -> bool:
        return self._step(lambda hints: hints.undo())

    def redo(self) -> bool:
        return self._step(lambda hints: hints.redo())

    def _step(self, step) -> bool:
        doc = self.session.current
        if doc is None or not step(doc.hints):
            return False
        if self.selected is not None and self.selected >= len(doc.hints):
            self.selected = None
        self.session.hints_edited(doc)
        return True

    # -- the app's Undo and Redo: hints while the hint tool is out (or nothing else is left), else strokes ----------
    def undo_target(self) -> str:
        """What Edit ▸ Undo undoes now: "hint", "stroke" or ""."""
        return self._target(lambda edits: edits.can_undo)

    def redo_target(self) -> str:
        return self._target(lambda edits: edits.can_redo)

    def _target(self, possible) -> str:
        doc, run = self.window.current_run()
        hints = doc is not None and possible(doc.hints)
        strokes = run is not None and run.combine is not None and possible(run.combine)
        if hints and (self.active or not strokes):
            return "hint"
        return "stroke" if strokes else ""

    def undo_edit(self) -> None:
        target = self.undo_target()
        if target == "hint":
            self.undo()
        elif target == "stroke":
            self.window.undo_stroke()

    def redo_edit(self) -> None:
        target = self.redo_target()
        if target == "hint":
            self.redo()
        elif target == "stroke":
            self.window.redo_stroke()

    # -- colors ------------------------------------------------------------------------------------
    def _shown_color(self, doc: PhotoDoc, x: float, y: float, radius: float) -> str:
        run = doc.current_run
        if run is None or not run.samples:
            recent = self.window.store.state.recent_colors
            return recent[0] if recent else NO_COLOR
        index = run.viewed if run.viewed in run.samples else run.base
        a, b = disc_mean_ab(run.samples[index].ab, x, y, radius, doc.size)
        return lab_hex(lightness_at(doc.preview_lightness, x, y, doc.size), a, b)

    def suggestions(self) -> list[str]:
        """The colors the current run's samples have at the selected hint (their own, before any hint)."""
        doc = self.doc()
        run = doc.current_run if doc is not None else None
        if run is None or not run.samples or self.selected is None or self.selected >= len(doc.hints):
            return []
        order = sorted(run.samples, key=lambda k: (k != run.viewed, k))
        return suggested_colors([run.samples[k].own_ab for k in order], doc.preview_lightness,
                                doc.hints.hints[self.selected], doc.size)

    def open_color_dialog(self) -> QColorDialog | None:
        """Qt's full color dialog for the selected hint (window-modal, never blocking)."""
        hint = self.selected_hint()
        if hint is None:
            return None
        dialog = QColorDialog(hint.color, self.window)
        dialog.setWindowTitle("Hint color")
        dialog.setWindowModality(Qt.WindowModal)
        dialog.colorSelected.connect(lambda color: self.apply_color(color.name()))
        dialog.open()
        self._color_dialog = dialog
        return dialog

    def set_picking(self, on: bool) -> None:
        """Arm the eyedropper: the next click on a sample tile or the reference photo picks the hint's color."""
        self.picking = bool(on) and self.selected_hint() is not None
        viewport = self.window.samples.viewport()
        viewport.setCursor(Qt.CrossCursor) if self.picking else viewport.unsetCursor()
        self.reference_view.set_picking(self.picking)
        self.refresh()

    def pick_from_tile(self, row: int, fraction_x: float, fraction_y: float) -> str | None:
        """The color at a point of sample tile ``row`` (fractions of its picture), applied to the selected hint."""
        _doc, run = self.window.current_run()
        item = self.window.samples.item(row)
        if run is None or item is None:
            return None
        index = item.data(INDEX)
        image = run.combined_preview if index == COMBINED else getattr(run.samples.get(index), "preview", None)
        if image is None:
            return None
        color = color_at(image, fraction_x, fraction_y)
        self._picked(color)
        return color

    def _picked(self, color: str) -> None:
        self.apply_color(color)
        self.set_picking(False)

    def eventFilter(self, watched, event) -> bool:
        """While picking, a click on a sample tile picks its color there instead of viewing the sample."""
        if not self.picking or event.type() not in (QEvent.MouseButtonPress, QEvent.MouseButtonDblClick):
            return False
        if event.button() != Qt.LeftButton:
            return False
        grid = self.window.samples
        pos = event.position()
        row = grid.indexAt(pos.toPoint()).row()
        rect = grid.picture_rect(row) if row >= 0 else None
        if rect is not None and rect.contains(pos):
            self.pick_from_tile(row, (pos.x() - rect.x()) / rect.width(), (pos.y() - rect.y()) / rect.height())
        return True  # a click beside a picture picks nothing, and views nothing either

    def selected_hint(self) -> Hint | None:
        hints = self.hints()
        if self.selected is not None and self._selected_doc is self.session.current and self.selected < len(hints):
            return hints[self.selected]
        return None

    def restore(self, doc: PhotoDoc, hints, reference: Path | None) -> None:
        """A reopened photo's hints and reference, as they were kept (no undo history, not a new edit)."""
        doc.hints.reset(hints)
        self.session.hints_changed.emit(doc)
        if reference is not None and Path(reference).exists():
            self.references.use(Path(reference), doc, edited=False)
        elif reference is not None:
            self.window.notices.warning(f"The reference photo of {doc.name} no longer exists", str(reference))

    # -- drawing --------------------------------------------------------------------------------------
    def _sample_guided(self, doc, run, sample) -> None:
        if doc is not self.session.current:
            return
        self.window.samples.add_sample(run, sample.index)  # the window redraws the result (sample_guided)
        if not self.renderer.pending(doc):
            self.refresh()

    def refresh(self) -> None:
        doc = self.session.current
        if doc is not self._selected_doc:
            self.selected, self._selected_doc = None, doc
        if self.active and self.doc() is None:
            self.set_active(False)
            return
        hint = self.selected_hint()
        reference = doc.reference if doc is not None else None
        self.reference_view.set_reference(reference.preview if reference is not None else None,
                                          reference.path.name if reference is not None else "")
        photo = self.doc() is not None
        if photo and hint is None and doc not in self._radius:
            self._radius[doc] = default_radius(doc.size)
        self.panel.update_state(
            picking=self.picking, photo=photo, hints=len(doc.hints) if doc is not None else 0, selected=self.selected,
            hint=hint, suggested=self.suggestions() if hint is not None else [],
            recent=self.window.store.state.recent_colors,
            can_undo=doc is not None and doc.hints.can_undo, can_redo=doc is not None and doc.hints.can_redo,
            has_reference=reference is not None, max_radius=int(max_radius(doc.size)) if photo else 1,
            message=self._message(doc))
        if photo and hint is None:
            self.panel.radius.blockSignals(True)
            self.panel.radius.setValue(round(self._radius[doc]))
            self.panel.radius.blockSignals(False)
        self.window.viewer.update()
        menus.update_enabled(self.window)

    def _message(self, doc: PhotoDoc | None) -> str:
        if doc is None:
            return ""
        run = doc.current_run
        capabilities = self.capabilities(run.settings.backend_id) if run is not None else frozenset()
        if Capability.HINTS in capabilities and (len(doc.hints) or run.backend_hints):
            if doc.busy or self.rerun.stale(doc):
                return f"Running {run.settings.backend_id} with the hints…"
            return f"{run.settings.backend_id} takes hints itself: it runs again after each hint edit"
        if doc.reference is not None and doc.reference.lab is None:
            return f"Reading {doc.reference.path.name}…"
        if self.renderer.pending(doc):
            return "Applying the hints…"
        if self.picking:
            return "Click a sample tile or the reference to pick"
        if len(doc.hints) or doc.reference is not None:
            return "Save writes the result with these hints"
        return "A hint's color spreads to similar surroundings"


def _import_propagation() -> None:
    import plugins.host.hints  # noqa: F401
