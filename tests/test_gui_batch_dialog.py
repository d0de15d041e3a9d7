"""The batch dialog's words: plurals, what a stopped batch wrote, and the way to its output."""

from __future__ import annotations

from desktop import file_actions
from desktop.batch_dialog import plural
from desktop.messages import BatchProgress, BatchResult
from gui_fixtures import make_window, no_leftover_workers, settings_store  # noqa: F401


def test_plural():
    assert (plural(1, "photo"), plural(5, "photo"), plural(0, "file")) == ("1 photo", "5 photos", "0 files")


def test_a_stopped_batch_says_how_many_files_it_wrote_and_offers_the_folder(qtbot, make_window, tmp_path):
    window = make_window()
    dialog = file_actions.show_batch(window)
    dialog._output = tmp_path
    dialog._progressed(BatchProgress(2, 5, tmp_path / "c.png", "Colorizing c.png", written=4))
    dialog._finished(None)
    assert dialog.current.text().startswith("Stopped: 4 files written") and dialog.open_output.isVisibleTo(dialog)
    dialog._finished(BatchResult(written=[tmp_path / "a.png"]))
    assert dialog.current.text().startswith("Done: 1 file written")
    assert "photo(s)" not in dialog.summary.text() and "sample(s)" not in dialog.summary.text()
    dialog.close()
