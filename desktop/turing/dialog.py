"""Colorization Turing Test…: setup, the colorizations made in the background, the rounds, the results.

The rounds' pictures are made in the backend lane (``JobQueue.run_task``), like any colorization. The
answers go into a :class:`~desktop.turing.plan.TuringTest`; when it ends (all rounds, Quit, or closing
the dialog) they are scored and written to a new CSV file in the photos' folder.
"""

from __future__ import annotations

import random
from datetime import datetime
from pathlib import Path
from typing import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.job_queue import JobQueue
from desktop.saving import roomy_file_dialogs
from desktop.turing.pairs import Pair, PairFailed, PairsProgress, make_pairs
from desktop.turing.plan import LEFT, Round, TuringTest, plan_rounds, ready_rounds
from desktop.turing.results_file import ResultsFileError, results_path, write_results
from desktop.turing.results_view import ResultsView
from desktop.turing.round_view import RoundView
from desktop.turing.setup_page import SetupPage
from desktop.turing.stats import scores, standouts
from plugins.errors import TinctError
from plugins.host.discovery import describe

TASK_LABEL = "The Turing test"


class PreparePage(QWidget):
    """The colorizations being made, then the instructions and Begin."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setFixedHeight(6)
        self.problems = QPlainTextEdit()
        self.problems.setReadOnly(True)
        self.problems.setVisible(False)
        self.back = QPushButton("Cancel")
        self.back.setAutoDefault(False)
        self.begin = QPushButton("Begin")
        self.begin.setObjectName("Primary")
        self.begin.setVisible(False)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.back)
        buttons.addWidget(self.begin)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addWidget(self.message)
        layout.addWidget(self.progress)
        layout.addWidget(self.problems, 1)
        layout.addStretch(1)
        layout.addLayout(buttons)


class TuringDialog(QDialog):
    def __init__(self, queue: JobQueue, settings: Callable[[], object], start_folder: Path, parent=None,
                 rng: random.Random | None = None):
        super().__init__(parent)
        self.setWindowTitle("Colorization Turing Test")
        self.setModal(False)
        self.resize(980, 680)
        self.queue, self._settings = queue, settings
        self.rng = rng or random.Random()
        self.setup = SetupPage(start_folder)
        self.prepare_page = PreparePage()
        self.round_view = RoundView()
        self.results = ResultsView()
        self.pages = QStackedWidget()
        for page in (self.setup, self.prepare_page, self.round_view, self.results):
            self.pages.addWidget(page)
        layout = QVBoxLayout(self)
        layout.addWidget(self.pages)

        self.test: TuringTest | None = None
        self.results_file: Path | None = None
        self._planned: list[Round] = []
        self._pairs: dict[int, Pair] = {}  # by planned round number
        self._pictures: dict[int, Pair] = {}  # by the number of the round in the test
        self._problems: list[str] = []
        self._task = None
        self._folder = Path()
        self._started = datetime.now()

        self.setup.start_requested.connect(self.prepare)
        self.prepare_page.back.clicked.connect(self._cancel_preparing)
        self.prepare_page.begin.clicked.connect(self.begin)
        self.round_view.answered.connect(self._answered)
        self.round_view.skipped.connect(self._skipped)
        self.round_view.quit_requested.connect(self.finish)
        self.results.new_test_requested.connect(self.new_test)
        self.results.save_as_requested.connect(self.save_as)
        self.results.close_requested.connect(self.close)
        self.refresh_backends()

    def refresh_backends(self) -> None:
        self.setup.set_host(self.queue.host, self._settings())

    # -- preparing --------------------------------------------------------------------------------
    def prepare(self) -> bool:
        """Plan the rounds and have their pictures made (the Prepare button). False if there is nothing to do."""
        photos, chosen = self.setup.photos(), self.setup.chosen()
        if not photos or not chosen or self.queue.host is None:
            return False
        self._folder = Path(self.setup.folder.text()).expanduser()
        self._planned = plan_rounds(photos, [c.label for c in chosen], self.rng, self.setup.rounds.value())
        self._pairs, self._pictures, self._problems = {}, {}, []
        page = self.prepare_page
        page.message.setText("Colorizing the gray versions of your photos…" if not self.queue.busy
                             else "Waiting for the running colorization…")
        page.progress.setRange(0, len(self._planned))
        page.progress.setValue(0)
        page.problems.clear()
        page.problems.setVisible(False)
        page.back.setText("Cancel")
        page.begin.setVisible(False)
        self.pages.setCurrentWidget(page)
        self._task = self.queue.run_task(TASK_LABEL, make_pairs, self._planned, {c.label: c.settings for c in chosen},
                                         yielded=self._pair_message, returned=self._prepared,
                                         errored=self._prepare_failed, aborted=self._prepare_stopped)
        return True

    def _pair_message(self, message) -> None:
        if isinstance(message, Pair):
            self._pairs[message.number] = message
        elif isinstance(message, PairFailed):
            self._problems.append(message.reason)
        elif isinstance(message, PairsProgress):
            self.prepare_page.progress.setValue(message.done)
            self.prepare_page.message.setText(f"Colorizing the gray versions of your photos: {message.done} of "
                                              f"{message.total}")

    def _prepared(self, _result=None) -> None:
        self._task = None
        page = self.prepare_page
        rounds = ready_rounds(self._planned, set(self._pairs))
        if self._problems:
            page.problems.setPlainText("Left out:\n" + "\n".join(dict.fromkeys(self._problems)))
            page.problems.setVisible(True)
        if not rounds:
            page.message.setText("No round could be prepared.")
            page.back.setText("Back")
            return
        kept = [r for r in self._planned if r.number in self._pairs]
        self._pictures = {new.number: self._pairs[old.number] for new, old in zip(rounds, kept)}
        self.test = TuringTest(rounds, self.setup.shown_s.value())
        shown = self.test.shown_s
        timing = f"for {shown:g} s, then it hides (you can still answer)" if shown else "until you answer"
        page.message.setText(
            f"{len(rounds)} rounds are ready. Each shows a real photo and a colorization {timing}. "
            "Click the one that looks real, or press ← or →. S skips a round, Esc ends the test "
            "(the rounds answered are kept).")
        page.back.setText("Back")
        page.begin.setVisible(True)
        page.begin.setFocus()

    def _prepare_failed(self, error: BaseException) -> None:
        self._task = None
        self.prepare_page.message.setText(f"Could not prepare the rounds: {error if isinstance(error, TinctError) else describe(error)}")
        self.prepare_page.back.setText("Back")

    def _prepare_stopped(self) -> None:
        self._task = None
        if self.pages.currentWidget() is self.prepare_page:
            self.pages.setCurrentWidget(self.setup)

    def _cancel_preparing(self) -> None:
        if self._task is not None:
            self.queue.cancel_task(self._task)  # back to the setup once it has stopped
        else:
            self.pages.setCurrentWidget(self.setup)

    # -- rounds ---------------------------------------------------------------------------------------
    def begin(self) -> None:
        if self.test is None:
            return
        self._started = datetime.now()
        self.pages.setCurrentWidget(self.round_view)
        self._show_round()

    def _show_round(self) -> None:
        test = self.test
        current = test.current()
        if current is None:
            self.finish()
            return
        pair = self._pictures[current.number]
        left, right = (pair.real, pair.colorized) if current.real_side == LEFT else (pair.colorized, pair.real)
        self.round_view.show_pair(current.number, len(test.rounds), left, right, test.shown_s)

    def _answered(self, side: str, seconds: float) -> None:
        if self.test is not None and not self.test.finished:
            self.test.answer(side, seconds)
            self._show_round()

    def _skipped(self, seconds: float) -> None:
        if self.test is not None and not self.test.finished:
            self.test.skip(seconds)
            self._show_round()

    @property
    def running(self) -> bool:
        return self.test is not None and self.pages.currentWidget() is self.round_view

    def finish(self) -> None:
        """End the test (all rounds done, Quit or closing): score the answers, save them, show the results."""
        test = self.test
        if test is None or self.pages.currentWidget() is not self.round_view:
            return
        stopped_early = not test.finished
        test.stop()
        self.round_view.stop()
        contenders = list(dict.fromkeys(r.contender for r in test.rounds))
        best, worst = standouts(test.answers)
        colorized = {number: pair.colorized for number, pair in self._pictures.items()}
        self.results.show_results(scores(test.answers, contenders), best, worst, colorized, stopped_early)
        self.results_file = None
        if test.answers:
            try:
                self.results_file = write_results(results_path(self._folder, self._started), test.answers, self._started)
                self.results.set_saved(self.results_file)
            except ResultsFileError as error:
                self.results.set_saved(None, f"The results could not be saved next to the photos: {error}.")
        else:
            self.results.set_saved(None, "No round was answered: nothing to save.")
            self.results.save_as.setVisible(False)
        self.pages.setCurrentWidget(self.results)

    def save_as(self, target: Path | None = None) -> bool:
        if self.test is None or not self.test.answers:
            return False
        if target is None:
            with roomy_file_dialogs(self):
                name, _filter = QFileDialog.getSaveFileName(self, "Save the Turing test results",
                                                            str(Path.home() / results_path(Path(), self._started).name),
                                                            "CSV (*.csv)")
            if not name:
                return False
            target = Path(name)
        try:
            self.results_file = write_results(target, self.test.answers, self._started)
        except ResultsFileError as error:
            self.results.set_saved(None, f"{error}.")
            return False
        self.results.set_saved(self.results_file)
        return True

    def new_test(self) -> None:
        self.test = None
        self.refresh_backends()
        self.pages.setCurrentWidget(self.setup)

    # -- closing ------------------------------------------------------------------------------------
    def keyPressEvent(self, event) -> None:
        if event.key() == Qt.Key_Escape and self.running:
            self.finish()  # Esc ends the test (keeping its answers), it does not close the dialog unasked
            return
        super().keyPressEvent(event)

    def closeEvent(self, event) -> None:
        if self._task is not None:
            self.queue.cancel_task(self._task)
        if self.running:
            self.finish()  # a stopped test keeps its results
        super().closeEvent(event)

    def reject(self) -> None:
        if self.running:
            self.finish()
            return
        super().reject()


def show_turing(window) -> TuringDialog:
    """The one Turing test dialog (Backends ▸ Colorization Turing Test…)."""
    dialog = next((d for d in window._dialogs if isinstance(d, TuringDialog)), None)
    if dialog is None:
        doc = window.session.current
        start = doc.path.parent if doc is not None else Path(window.store.state.last_folder or Path.home())
        dialog = TuringDialog(window.queue, window.controls.settings, start, window)
        window.backends_ready.connect(dialog.refresh_backends)
        window._dialogs.append(dialog)
    elif not dialog.running and dialog.pages.currentWidget() is dialog.setup:
        dialog.refresh_backends()
    dialog.show()
    dialog.raise_()
    dialog.activateWindow()
    return dialog
