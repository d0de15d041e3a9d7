"""Menus, toolbar and keyboard shortcuts, all built from one list of actions."""

from __future__ import annotations

from functools import partial
from types import SimpleNamespace

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAction, QIcon, QKeySequence, QPainter, QPixmap
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QMessageBox, QToolBar, QTreeWidget, QTreeWidgetItem, QVBoxLayout

from desktop import file_actions, theme, video_window
from desktop.turing import dialog as turing_dialog

MAX_SAMPLE_SHORTCUTS = 8
DISABLED_TEXT = "#62646b"
# The theme's "QToolBar QToolButton { color: … }" also colors disabled buttons, and the light icons' generated
# disabled look is as light: a disabled Save looked like one that works.
TOOLBAR_STYLE = f"QToolButton:disabled {{ color: {DISABLED_TEXT}; }}"


def dimmed_when_disabled(icon: QIcon, sizes=(16, 20, 24, 32, 40)) -> QIcon:
    """``icon`` with a clearly faded Disabled mode (the style's own is hardly different for light icons)."""
    if icon.isNull():
        return icon
    result = QIcon()
    for side in sizes:
        normal = icon.pixmap(QSize(side, side))
        result.addPixmap(normal, QIcon.Normal)
        faded = QPixmap(normal.size())
        faded.setDevicePixelRatio(normal.devicePixelRatio())
        faded.fill(Qt.transparent)
        painter = QPainter(faded)
        painter.setOpacity(0.32)
        painter.drawPixmap(0, 0, normal)
        painter.end()
        result.addPixmap(faded, QIcon.Disabled)
    return result


def install(window) -> SimpleNamespace:
    a = SimpleNamespace()

    def action(text, slot, shortcut=None, icon=None, tip=None, checkable=False):
        item = QAction(text, window)
        if shortcut is not None:
            item.setShortcuts(shortcut if isinstance(shortcut, list) else [QKeySequence(shortcut)])
        if icon:
            item.setIcon(dimmed_when_disabled(theme.icon(icon)))
        item.setToolTip(f"{tip or text.replace('…', '').replace('&', '')}" + (f" ({item.shortcut().toString(QKeySequence.NativeText)})" if shortcut else ""))
        item.setCheckable(checkable)
        if checkable:
            item.toggled.connect(slot)
        else:
            item.triggered.connect(lambda _checked=False: slot())  # the slots take no "checked" argument
        window.addAction(item)
        return item

    a.open = action("&Open…", partial(file_actions.open_dialog, window), QKeySequence.Open, "open", "Open photos")
    a.open_video = action("Open &Video…", partial(video_window.show_video, window), "Ctrl+Shift+O", None,
                          "Open a film clip: try colors on a frame, then render the whole clip")
    a.reopen = action("Reopen &Last Session", window.reopen_last_session, None, None,
                      "Open the photos of the last session and make their runs again, with the chosen samples and strokes")
    a.save = action("&Save…", partial(file_actions.save_result, window), QKeySequence.Save, "save", "Save the chosen or combined result at full resolution")
    a.save_all = action("Save &All Samples…", partial(file_actions.save_all_samples, window), "Ctrl+Shift+S", "save-all")
    a.sheet = action("&Export Comparison Sheet…", partial(file_actions.export_sheet, window), "Ctrl+E", "sheet")
    a.batch = action("&Batch Colorize Folder…", partial(file_actions.show_batch, window), "Ctrl+B", "batch")
    a.close_photo = action("&Close Photo", lambda: window.session.current and window.queue.close_photo(window.session.current), QKeySequence.Close)
    a.quit = action("&Quit", window.close, QKeySequence.Quit)
    # Undo and Redo take back hints while the hint tool is out (or when no stroke is left), else strokes.
    a.undo = action("&Undo Stroke", window.hints.undo_edit, QKeySequence.Undo, "undo")
    a.redo = action("&Redo Stroke", window.hints.redo_edit, [QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")], "redo")
    a.clear = action("Clear Strokes", window.clear_strokes, None, "clear")
    a.colorize = action("&Colorize", window.colorize_current, [QKeySequence("Ctrl+R"), QKeySequence("Ctrl+Return")], "colorize", "Colorize the current photo")
    a.colorize_all = action("Colorize All Open Photos", window.colorize_all, "Ctrl+Shift+R")
    a.colorize_all_again = action("Colorize All Again", lambda: window.colorize_all(again=True))
    a.cancel = action("C&ancel", window.cancel, "Esc", "cancel", "Cancel the colorization of the photo on view")
    a.cancel_all = action("Cancel A&ll", window.cancel_all, "Shift+Esc", None, "Cancel every queued and running colorization")
    a.choose = action("C&hoose Sample on View", lambda: window.choose_sample(None), "C", "star", "Mark the sample on view as chosen")
    a.brush = action("Combine &Brush", window.set_combining, "B", "brush", "Paint regions with another sample's colors", checkable=True)
    a.view_combined = action("View Co&mbined Result", window.view_combined, "0", None,
                             "Show the brush strokes' mix of the samples, what Save writes")
    a.hint_tool = action("Color &Hints", window.hints.set_active, "H", "hint",
                         "Click the photo to say what color a place is; drag a hint to move it, "
                         "right-click it or press Delete to remove it", checkable=True)
    a.restore = action("&Restore", window.restore.set_active, "R", "restore",
                       "Repair a faded, noisy or scratched scan before colorizing it: tone, denoise, dust and scratches",
                       checkable=True)
    a.reference = action("Use a &Reference Photo…", window.hints.references.choose, None, "reference",
                         "Take colors from a color photo of the same place, family or era")
    a.remove_reference = action("Remove Reference Photo", window.hints.references.remove)
    a.clear_hints = action("Clear Hints", window.hints.clear_hints)
    a.delete_hint = action("Delete Hint", window.hints.remove_selected, [QKeySequence.Delete, QKeySequence("Backspace")],
                           None, "Remove the selected color hint")
    a.bigger = action("Larger Brush", lambda: window.combine.size.setValue(window.combine.size.value() + 5), "]")
    a.smaller = action("Smaller Brush", lambda: window.combine.size.setValue(window.combine.size.value() - 5), "[")
    a.survey = action("&Survey Samples", window.set_survey, "N", None,
                      "Compare the samples large, side by side; click one to choose it (Esc leaves)", checkable=True)
    a.compare = action("&Before/After Split", window.viewer.set_compare, "\\", "compare", "Compare with the original", checkable=True)
    a.compare.setChecked(True)
    for item, short in ((a.compare, "Compare"), (a.brush, "Brush"), (a.hint_tool, "Hints"), (a.restore, "Restore"), (a.batch, "Batch")):
        item.setIconText(short)
    a.fit = action("&Fit", window.viewer.fit, "Ctrl+0", "fit", "Fit to window")
    a.actual = action("&100%", window.viewer.actual_size, "Ctrl+1", "actual-size", "Actual pixels")
    a.zoom_in = action("Zoom &In", lambda: window.viewer.zoom_by(1.25), [QKeySequence.ZoomIn, QKeySequence("Ctrl+=")])
    a.zoom_out = action("Zoom &Out", lambda: window.viewer.zoom_by(0.8), QKeySequence.ZoomOut)
    a.next_photo = action("&Next Photo", lambda: window.session.step(1), [QKeySequence("PgDown"), QKeySequence("Alt+Right")])
    a.previous_photo = action("&Previous Photo", lambda: window.session.step(-1), [QKeySequence("PgUp"), QKeySequence("Alt+Left")])
    a.plugins = action("&Installed Backends…", partial(file_actions.show_plugins, window), None, "plugins", "Installed backends and their state")
    a.turing = action("Colorization &Turing Test…", partial(turing_dialog.show_turing, window), None, None,
                      "Do the colorizations pass for real? Your own color photos against their colorizations, side by side")
    a.shortcuts = action("&Keyboard Shortcuts", lambda: show_shortcuts(window), QKeySequence.HelpContents)
    a.about = action("&About Tinct", lambda: show_about(window))
    a.samples = [
        action(f"View Sample {k}", partial(window.view_sample, k - 1), str(k)) for k in range(1, MAX_SAMPLE_SHORTCUTS + 1)
    ]
    window.session.combining_changed.connect(lambda on: (a.brush.blockSignals(True), a.brush.setChecked(on), a.brush.blockSignals(False)))

    bar = window.menuBar()
    file_menu = bar.addMenu("&File")
    file_menu.addAction(a.open)
    file_menu.addAction(a.open_video)
    a.recent_menu = file_menu.addMenu("Open &Recent")
    a.recent_menu.aboutToShow.connect(lambda: fill_recent(window, a.recent_menu))
    file_menu.addAction(a.reopen)
    file_menu.addSeparator()
    for item in (a.save, a.save_all, a.sheet):
        file_menu.addAction(item)
    file_menu.addSeparator()
    file_menu.addAction(a.batch)
    file_menu.addSeparator()
    file_menu.addAction(a.close_photo)
    file_menu.addAction(a.quit)
    edit = bar.addMenu("&Edit")
    for item in (a.undo, a.redo, a.clear, a.delete_hint, a.clear_hints):
        edit.addAction(item)
    view = bar.addMenu("&View")
    for item in (a.compare, a.survey, None, a.fit, a.actual, a.zoom_in, a.zoom_out, None, a.next_photo, a.previous_photo):
        view.addSeparator() if item is None else view.addAction(item)
    photo = bar.addMenu("&Colorize")
    for item in (a.colorize, a.colorize_all, a.colorize_all_again, a.cancel, a.cancel_all, None, a.choose, a.brush,
                 a.view_combined, a.bigger, a.smaller, None, a.hint_tool, a.reference, a.remove_reference, None, a.restore):
        photo.addSeparator() if item is None else photo.addAction(item)
    backends_menu = bar.addMenu("&Backends")
    backends_menu.addAction(a.plugins)
    backends_menu.addAction(a.turing)
    help_menu = bar.addMenu("&Help")
    help_menu.addAction(a.shortcuts)
    help_menu.addAction(a.about)

    toolbar = QToolBar("Main")
    toolbar.setObjectName("MainToolbar")
    toolbar.setMovable(False)
    toolbar.setToolButtonStyle(Qt.ToolButtonTextBesideIcon)
    toolbar.setIconSize(QSize(20, 20))
    toolbar.setStyleSheet(TOOLBAR_STYLE)
    for item in (a.open, a.save, None, a.colorize, a.cancel, None, a.compare, a.fit, a.actual, None, a.brush, a.hint_tool, a.restore, a.undo, a.redo, None, a.batch, a.plugins):
        toolbar.addSeparator() if item is None else toolbar.addAction(item)
    for item in (a.fit, a.actual, a.undo, a.redo, a.cancel, a.plugins):
        toolbar.widgetForAction(item).setToolButtonStyle(Qt.ToolButtonIconOnly)
    window.addToolBar(toolbar)
    return a


def update_enabled(window) -> None:
    a = getattr(window, "actions_", None)
    if a is None:
        return
    doc, run = window.current_run()
    has_samples = run is not None and bool(run.samples)
    a.save.setEnabled(file_actions.can_save(run))
    for item in (a.save_all, a.sheet, a.choose):
        item.setEnabled(has_samples)
    a.survey.setEnabled(run is not None and len(run.samples) >= 2)
    a.brush.setEnabled(run is not None and len(run.samples) > 1)
    undo, redo = window.hints.undo_target(), window.hints.redo_target()
    a.undo.setEnabled(bool(undo))
    a.redo.setEnabled(bool(redo))
    a.undo.setText("&Undo Hint" if undo == "hint" else "&Undo Stroke")
    a.redo.setText("&Redo Hint" if redo == "hint" else "&Redo Stroke")
    hints = window.hints
    a.hint_tool.setEnabled(hints.doc() is not None)
    restore = getattr(window, "restore", None)  # made after the hints: absent while it is being made
    if restore is not None:
        a.restore.setEnabled(restore.doc() is not None)
        if a.restore.isChecked() != restore.active:
            a.restore.blockSignals(True)
            a.restore.setChecked(restore.active)
            a.restore.blockSignals(False)
    if a.hint_tool.isChecked() != hints.active:
        a.hint_tool.blockSignals(True)
        a.hint_tool.setChecked(hints.active)
        a.hint_tool.blockSignals(False)
    a.reference.setEnabled(hints.doc() is not None)
    a.remove_reference.setEnabled(doc is not None and doc.reference is not None)
    a.clear_hints.setEnabled(doc is not None and len(doc.hints) > 0)
    a.delete_hint.setEnabled(hints.active and hints.selected_hint() is not None)
    a.clear.setEnabled(run is not None and run.has_strokes)
    a.view_combined.setEnabled(run is not None and run.has_strokes)
    a.reopen.setEnabled(bool(window.kept_session.photos))
    a.cancel.setEnabled((doc is not None and doc.busy) or window.queue.batch_running)
    a.cancel_all.setEnabled(window.queue.busy)
    a.close_photo.setEnabled(doc is not None)
    for item in (a.next_photo, a.previous_photo):
        item.setEnabled(len(window.session.photos) > 1)


def fill_recent(window, menu) -> None:
    menu.clear()
    window.store.forget_missing()
    recent = window.store.state.recent_files
    for path in recent:
        menu.addAction(path, partial(window.open_paths, [path]))
    if recent:
        menu.addSeparator()
        menu.addAction("Clear Recent", window.store.clear_recent)
    else:
        menu.addAction("No recent photos").setEnabled(False)


def show_shortcuts(window) -> None:
    dialog = QDialog(window)
    dialog.setWindowTitle("Keyboard shortcuts")
    dialog.resize(460, 520)
    tree = QTreeWidget()
    tree.setHeaderLabels(("Action", "Shortcut"))
    tree.setRootIsDecorated(False)
    for item in window.actions():
        keys = ", ".join(k.toString(QKeySequence.NativeText) for k in item.shortcuts())
        if keys and not item.text().startswith("View Sample"):
            QTreeWidgetItem(tree, [item.text().replace("&", ""), keys])
    QTreeWidgetItem(tree, ["View sample 1…8", "1 … 8"])
    QTreeWidgetItem(tree, ["Leave the survey", "Esc"])
    QTreeWidgetItem(tree, ["Move the before/after split (photo focused)", "Left, Right (Shift: faster), Home, End"])
    QTreeWidgetItem(tree, ["Remove a color hint (hint tool out)", "Right-click it"])
    tree.resizeColumnToContents(0)
    buttons = QDialogButtonBox(QDialogButtonBox.Close)
    buttons.rejected.connect(dialog.close)
    layout = QVBoxLayout(dialog)
    layout.addWidget(tree)
    layout.addWidget(buttons)
    window._dialogs.append(dialog)
    dialog.show()


def show_about(window) -> None:
    QMessageBox.about(
        window,
        "About Tinct",
        "<h3>Tinct</h3><p>Brings color back to black-and-white photographs, on your own machine.</p>"
        "<p>Several plausible colorizations to choose from and combine; the originals are never changed.</p>",
    )


def ask_to_quit(window, unsaved: int, answer) -> QMessageBox:
    """The question before quitting with unsaved results, window-modal (it blocks nothing):
    ``answer(True)`` once Quit is clicked, ``answer(False)`` otherwise."""
    photos = f"{unsaved} photo has" if unsaved == 1 else f"{unsaved} photos have"
    box = QMessageBox(QMessageBox.Question, "Quit Tinct", f"{photos} results that are not saved.", parent=window)
    box.setInformativeText("The session is kept: next time Tinct offers to reopen it, with its runs, "
                           "chosen samples and brush strokes. Only Save writes the results to files.")
    quit_button = box.addButton("Quit", QMessageBox.AcceptRole)
    box.setDefaultButton(box.addButton(QMessageBox.Cancel))
    box.setWindowModality(Qt.WindowModal)
    box.finished.connect(lambda _result: answer(box.clickedButton() is quit_button))
    box.open()
    return box
