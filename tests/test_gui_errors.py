"""Errors: plain words and what to do first, the traceback folded away; a failed open keeps the photo on view;
a truncated JPEG opens as far as it goes, with a note."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageFile
from PySide6.QtWidgets import QLabel

from desktop.messages import GpuOutOfMemory
from desktop.notifications import DetailsDialog
from desktop.state.notices import COLORIZE, OPEN, SAVE, Notice, advice_for
from desktop.state.session import FAILED
from gui_fixtures import gray_photo, make_window, no_leftover_workers, raising_plugin, settings_store  # noqa: F401
from plugins.errors import ImageError
from plugins.imageio import read_photo


def visible_text(widget) -> str:
    return "\n".join(label.text() for label in widget.findChildren(QLabel) if label.isVisibleTo(widget))


# -- plain words first -----------------------------------------------------------------------------------


def test_an_error_says_what_to_do_first_and_keeps_the_traceback_folded(qtbot, make_window, gray_photo):
    window = make_window(raising_plugin("the model exploded"))
    with qtbot.waitSignal(window.session.photo_loaded, timeout=10_000):
        window.open_paths([gray_photo()])
    window.controls.backend.setCurrentIndex(window.controls.backend.findData("raising"))
    with qtbot.waitSignal(window.notices.posted, timeout=10_000):
        run = window.colorize_current()
    qtbot.waitUntil(lambda: not window.queue.busy, timeout=5000)
    assert run.state == FAILED
    (card,) = window.notifications.cards()
    notice = card.notice
    assert notice.technical and "another backend" in notice.advice
    assert notice.advice in visible_text(card) and "Traceback" not in visible_text(card)

    card.show_details()
    dialog = card.details_dialog
    assert dialog.isVisible() and not dialog.isModal()
    words = visible_text(dialog)
    assert "the model exploded" in words and notice.advice in words and "Traceback" not in words
    assert dialog.expander.isVisible() and not dialog.text.isVisible()
    dialog.expander.click()
    assert dialog.text.isVisible() and dialog.text.toPlainText().startswith("Traceback")
    dialog.expander.click()
    assert not dialog.text.isVisible()
    dialog.close()


def test_details_that_are_not_a_traceback_are_shown_at_once(qtbot):
    notice = Notice("error", "Could not open 3 photos", "a.png, b.png, c.png", details="a.png: file is empty\nb.png: …",
                    advice="Check that they open in another program.")
    assert not notice.technical
    dialog = DetailsDialog(notice)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.text.isVisible() and not dialog.expander.isVisible()
    assert "a.png: file is empty" in dialog.text.toPlainText()


@pytest.mark.parametrize("error, doing, words", [
    (ImageError("file is truncated or corrupt"), OPEN, "damaged or incomplete"),
    (ImageError("not an image file (or an unsupported format)"), OPEN, "PNG, JPEG"),
    (ImageError("cannot write: the disk is full"), SAVE, "Free some space"),
    (ImageError("cannot write to folder /x: permission denied"), SAVE, "folder you can write to"),
    (GpuOutOfMemory("cuda", RuntimeError("CUDA out of memory")), COLORIZE, "CPU"),
    (RuntimeError("boom"), COLORIZE, "another backend"),
    (KeyError("x"), SAVE, "bug report"),
])
def test_each_kind_of_error_comes_with_something_to_do(error, doing, words):
    assert words in advice_for(error, doing, "cic")


# -- a failed open --------------------------------------------------------------------------------------------


def test_a_failed_open_keeps_the_photo_on_view(qtbot, make_window, gray_photo, tmp_path):
    window = make_window()
    with qtbot.waitSignals([window.session.photo_loaded] * 2, timeout=10_000):
        first, _second = window.open_paths([gray_photo("a.png"), gray_photo("b.png")])
    window.session.set_current(first)
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8 not really a jpeg")
    window.open_paths([broken])
    assert window.session.current.path.name == "broken.jpg"  # on view while it is read
    qtbot.waitUntil(lambda: len(window.session.photos) == 2, timeout=10_000)
    assert window.session.current is first, "back to the photo that was on view, not a neighbour"
    assert window.filmstrip.currentRow() == 0


def test_a_failed_photo_opened_with_good_ones_gives_way_to_them(qtbot, make_window, gray_photo, tmp_path):
    window = make_window()
    with qtbot.waitSignal(window.session.photo_loaded, timeout=10_000):
        (before,) = window.open_paths([gray_photo("a.png")])
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG not really")
    with qtbot.waitSignal(window.session.photo_loaded, timeout=10_000):
        window.open_paths([broken, gray_photo("c.png")])
    qtbot.waitUntil(lambda: len(window.session.photos) == 2, timeout=10_000)
    assert window.session.current.path.name == "c.png" and window.session.current is not before


# -- a truncated file -------------------------------------------------------------------------------------------


def truncated_jpeg(path, keep: float, size=(200, 150)):
    width, height = size
    ramp = np.linspace(40, 220, width, dtype=np.float32)[None, :] + np.linspace(0, 30, height, dtype=np.float32)[:, None]
    Image.fromarray(ramp.astype(np.uint8), "L").save(path, quality=92)
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
    return path


def test_a_truncated_jpeg_is_read_as_far_as_it_goes_with_a_note(tmp_path):
    photo = read_photo(truncated_jpeg(tmp_path / "cut.jpg", 0.85))
    (note,) = [n for n in photo.notes if "missing" in n]
    assert note.startswith("part of this file is missing: the bottom") and "gray" in note
    assert photo.size == (200, 150)
    bottom, top = photo.lightness[-1], photo.lightness[0]
    assert np.ptp(bottom) < 0.01 and abs(bottom.mean() - 53.6) < 1.0  # flat mid gray
    assert np.ptp(top) > 30  # the ramp that is there
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False, "the process-wide switch is put back"


def test_a_file_cut_too_short_and_a_corrupt_one_are_still_refused(tmp_path):
    with pytest.raises(ImageError, match="truncated or corrupt .*of the picture is there"):
        read_photo(truncated_jpeg(tmp_path / "short.jpg", 0.4))
    corrupt = tmp_path / "corrupt.png"
    Image.fromarray(np.random.default_rng(1).integers(0, 255, (64, 64), dtype=np.uint8)).save(corrupt)
    data = bytearray(corrupt.read_bytes())
    data[60:80] = b"\xff" * 20
    corrupt.write_bytes(bytes(data))
    with pytest.raises(ImageError, match="^file is truncated or corrupt$"):
        read_photo(corrupt)


def test_a_truncated_jpeg_opens_in_the_app_with_the_note(qtbot, make_window, tmp_path):
    window = make_window()
    path = truncated_jpeg(tmp_path / "cut.jpg", 0.85)
    with qtbot.waitSignal(window.session.photo_loaded, timeout=10_000):
        (doc,) = window.open_paths([path])
    assert window.session.current is doc and doc.size == (200, 150)
    assert any("part of this file is missing" in note for note in doc.notes)
    qtbot.waitUntil(lambda: any(n.title == "Note on cut.jpg" for n in window.notices.history), timeout=5000)
    note = next(n for n in window.notices.history if n.title == "Note on cut.jpg")
    assert "missing" in note.message and "gray" in note.message
