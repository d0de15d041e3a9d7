"""Backends ▸ Installed Backends: every backend with its state (loaded, weights, errors) and where it came from;
installing a plugin from a wheel, an sdist or a project folder (after a confirm that says what it is and that it
runs code on this machine), removing one, and switching each on or off.

The work is ``desktop.plugin_install`` (no Qt), run off the GUI thread. After a change the dialog emits
``plugins_changed``; the window then looks for backends again (new ones appear without a restart) and
calls :meth:`PluginsDialog.fill` with what it found.
"""

from __future__ import annotations

import traceback
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QMenu,
    QMessageBox,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
)

from desktop import theme, worker
from desktop.plugin_install import USER_FOLDER, PreparedInstall, backend_location, prepare, remove
from plugins.errors import TinctError
from plugins.host import PluginHost
from plugins.host.switches import set_enabled

COLUMNS = ("Backend", "Version", "License", "Weights", "State", "From")
ARCHIVES = "Python distributions (*.whl *.tar.gz *.tgz *.tar.bz2 *.tar.xz *.zip)"
RUNS_CODE = ("A plugin is a program: once installed it runs on this computer with your permissions, every time "
             "Tinct looks for backends. Install it only if you trust where it came from.")
NAME_ROLE = Qt.UserRole + 1  # a backend id (what the enabled switch switches), or a broken plugin's name
LOCATION_ROLE = Qt.UserRole + 2


class PluginsDialog(QDialog):
    plugins_changed = Signal()

    def __init__(self, host: PluginHost | None, loaded: dict[str, str], parent=None):
        """``loaded`` maps backend ids loaded this session to their device."""
        super().__init__(parent)
        self.setWindowTitle("Installed backends")
        self.resize(900, 520)
        self._loaded = loaded
        self._filling = False
        self._job: worker.GeneratorWorker | None = None
        self.confirm: InstallConfirmDialog | None = None
        self.message_box: QMessageBox | None = None
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(COLUMNS)
        self.tree.setRootIsDecorated(False)
        self.tree.setAlternatingRowColors(False)
        self.tree.setToolTip("Untick a backend to leave it out (here and on the command line) until ticked again")
        self.details = QPlainTextEdit()
        self.details.setReadOnly(True)
        self.details.setMaximumHeight(120)
        intro = QLabel("The colorization backends Tinct can use, and whether each is ready. Select one to see what it is "
                       "and where it came from; untick one to leave it out. Install plugins made by others from a "
                       "wheel, a source archive or a project folder.")
        intro.setObjectName("Hint")
        intro.setWordWrap(True)

        self.install_button = QPushButton("Install from file…")
        menu = QMenu(self.install_button)
        menu.addAction("Wheel or source archive…", self.choose_archive)
        menu.addAction("Project folder…", self.choose_folder)
        self.install_button.setMenu(menu)
        self.remove_button = QPushButton("Remove")
        self.remove_button.setToolTip("Remove the selected plugin (only those installed from here can be removed)")
        self.remove_button.clicked.connect(self.ask_to_remove)
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)  # pip gives no fractions: busy, not a percentage
        self.progress.setFixedHeight(6)
        self.status = QLabel("")
        self.status.setObjectName("Hint")
        self.status.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.Close)
        buttons.rejected.connect(self.close)
        row = QHBoxLayout()
        row.addWidget(self.install_button)
        row.addWidget(self.remove_button)
        row.addWidget(self.status, 1)
        row.addWidget(buttons)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.details)
        layout.addWidget(self.progress)
        layout.addLayout(row)
        self.tree.currentItemChanged.connect(self._selected)
        self.tree.itemChanged.connect(self._switched)
        self._set_busy(None)
        self.fill(host, loaded)

    # -- the list ----------------------------------------------------------------------------
    def fill(self, host: PluginHost | None, loaded: dict[str, str] | None = None) -> None:
        self._filling = True
        self._loaded = self._loaded if loaded is None else loaded
        try:
            self._fill(host)
        finally:
            self._filling = False
        self._selected(self.tree.currentItem())

    def _fill(self, host: PluginHost | None) -> None:
        self.tree.clear()
        if host is None:
            QTreeWidgetItem(self.tree, ["Looking for backends…"])
            return
        for entry in host.backends:
            info = entry.info
            weights = host.weights_status(entry)
            failed = next((f for f in host.failures if f.name == info.id), None)
            if failed is not None:
                state = f"error: {failed.stage} failed"
            elif info.id in self._loaded:
                state = f"loaded on {self._loaded[info.id]}"
            else:
                state = "ready" if weights.ok else "cannot load"
            location = backend_location(entry.distribution)
            row = self._row([info.name, info.version, info.license, weights.state, state, entry.distribution],
                            info.id, location, enabled=True)
            lines = [
                f"{info.name} ({info.id}) {info.version}, license {info.license}",
                info.description,
                f"Plugin module {entry.plugin} from {entry.distribution} ({location})",
                f"Devices: {', '.join(info.devices)}; up to {info.sample_limit} sample(s); works at {info.default_working_size} px",
            ]
            if host.isolation.isolates(entry):
                lines.append("Runs in a process of its own: if it hangs or crashes, Tinct goes on.")
            if weights.message:
                lines.append(f"Weights: {weights.message}")
            if failed is not None:
                lines.append(f"Error: {failed.message}")
            row.setData(0, Qt.UserRole, "\n".join(line for line in lines if line))
            if failed is not None or not weights.ok:
                row.setForeground(4, QColor(theme.ERROR if failed else theme.WARNING))
        for entry in getattr(host, "switched_off", ()):
            info = entry.info
            location = backend_location(entry.distribution)
            row = self._row([info.name, info.version, info.license, "", "switched off", entry.distribution],
                            info.id, location, enabled=False)
            row.setData(0, Qt.UserRole, f"{info.name} ({info.id}) is switched off: Tinct leaves it out until it is "
                                        "ticked again.")
        backend_ids = {entry.info.id for entry in host.backends}
        for failure in host.failures:
            if failure.name in backend_ids:
                continue
            row = self._row([failure.name, "", "", "", f"broken: {failure.stage} failed", failure.distribution],
                            failure.name, backend_location(failure.distribution), enabled=None)
            row.setForeground(4, QColor(theme.ERROR))
            row.setData(0, Qt.UserRole, f"{failure.name} from {failure.distribution}\n{failure.stage} failed: {failure.message}")
        for column in range(len(COLUMNS)):
            self.tree.resizeColumnToContents(column)
        if self.tree.topLevelItemCount():
            self.tree.setCurrentItem(self.tree.topLevelItem(0))

    def _row(self, texts: list[str], name: str, location: str, enabled: bool | None) -> QTreeWidgetItem:
        """A row; ``enabled`` None: no switch (a broken plugin offers no backend to switch)."""
        row = QTreeWidgetItem(self.tree, texts)
        if enabled is not None:
            row.setFlags(row.flags() | Qt.ItemIsUserCheckable)
            row.setCheckState(0, Qt.Checked if enabled else Qt.Unchecked)
        row.setData(0, NAME_ROLE, name)
        row.setData(0, LOCATION_ROLE, location)
        return row

    def row_for(self, name: str) -> QTreeWidgetItem | None:
        """The row of a backend id (or a broken plugin's name)."""
        for index in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(index)
            if item.data(0, NAME_ROLE) == name:
                return item
        return None

    def _selected(self, item: QTreeWidgetItem | None) -> None:
        self.details.setPlainText((item.data(0, Qt.UserRole) or "") if item is not None else "")
        self.remove_button.setEnabled(self._job is None and item is not None
                                      and item.data(0, LOCATION_ROLE) == USER_FOLDER)

    def _switched(self, item: QTreeWidgetItem, column: int) -> None:
        if self._filling or column != 0:
            return
        name, enabled = item.data(0, NAME_ROLE), item.checkState(0) == Qt.Checked
        try:
            set_enabled(name, enabled)
        except OSError as error:
            self._show_error(f"Could not switch {name} {'on' if enabled else 'off'}", str(error))
            return
        self.status.setText(f"{name} switched on" if enabled else
                            f"{name} switched off: left out here and on the command line until ticked again")
        self.plugins_changed.emit()

    # -- install -----------------------------------------------------------------------------
    def choose_archive(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Install a plugin", "", f"{ARCHIVES};;All files (*)")
        if path:
            self.install_from(path)

    def choose_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Install a plugin from its project folder")
        if path:
            self.install_from(path)

    def install_from(self, path: str | Path) -> None:
        """Build and check the plugin off the GUI thread, then ask before it goes into the plugin folder."""
        self._run(f"Building and checking {Path(path).name}…", prepare, Path(path), self._prepared,
                  "Could not install the plugin")

    def _prepared(self, prepared: PreparedInstall) -> None:
        self.confirm = InstallConfirmDialog(prepared, self)
        self.confirm.accepted.connect(lambda: self._commit(prepared))
        self.confirm.rejected.connect(lambda: (prepared.discard(), self.status.setText("Not installed")))
        self.confirm.open()

    def _commit(self, prepared: PreparedInstall) -> None:
        try:
            report = prepared.commit()
        except TinctError as error:
            self._show_error("Could not install the plugin", str(error), getattr(error, "details", ""))
            return
        replaced = f" (replacing {report.replaced})" if report.replaced else ""
        self.status.setText(f"Installed {report.distribution} {report.version}{replaced}: "
                            f"{', '.join(report.backends)}")
        self.plugins_changed.emit()

    # -- remove ------------------------------------------------------------------------------
    def ask_to_remove(self) -> None:
        item = self.tree.currentItem()
        if item is None or item.data(0, LOCATION_ROLE) != USER_FOLDER:
            return
        name, distribution = item.data(0, NAME_ROLE), item.text(5)
        self.message_box = QMessageBox(QMessageBox.Question, "Remove plugin",
                                       f"Remove {distribution} from the plugin folder? Its backends, {name} among "
                                       "them, are gone from Tinct until it is installed again.", parent=self)
        remove_button = self.message_box.addButton("Remove", QMessageBox.AcceptRole)
        self.message_box.setDefaultButton(self.message_box.addButton(QMessageBox.Cancel))
        self.message_box.buttonClicked.connect(lambda button: self._remove(distribution) if button is remove_button else None)
        self.message_box.open()

    def _remove(self, distribution: str) -> None:
        self._run(f"Removing {distribution}…", remove, distribution, self._removed, "Could not remove the plugin")

    def _removed(self, report) -> None:
        self.status.setText(f"Removed {report.distribution} {report.version}")
        self.plugins_changed.emit()

    # -- jobs and errors ---------------------------------------------------------------------
    def _run(self, doing: str, function, argument, done, failure_title: str) -> None:
        job = worker.GeneratorWorker(function, argument)
        job.returned.connect(done)
        job.errored.connect(lambda error: self._failed(failure_title, error))
        job.finished.connect(lambda: self._set_busy(None))
        self._set_busy(job, doing)
        job.start()

    def _set_busy(self, job: worker.GeneratorWorker | None, doing: str = "") -> None:
        self._job = job
        self.progress.setVisible(job is not None)
        self.install_button.setEnabled(job is None)
        if doing:
            self.status.setText(doing)
        self._selected(self.tree.currentItem())

    def _failed(self, title: str, error: BaseException) -> None:
        if isinstance(error, TinctError):
            self._show_error(title, str(error), getattr(error, "details", ""))
        else:  # a bug: one line here, the traceback on demand
            self._show_error(title, f"Internal error: {type(error).__name__}: {error}",
                             "".join(traceback.format_exception(error)).strip())

    def _show_error(self, title: str, message: str, details: str = "") -> None:
        self.status.setText(message)
        self.message_box = QMessageBox(QMessageBox.Warning, title, message, QMessageBox.Ok, self)
        if details:
            self.message_box.setDetailedText(details)  # "Show Details…": pip's own words
        self.message_box.open()

    def busy(self) -> bool:
        return self._job is not None


class InstallConfirmDialog(QDialog):
    """What a plugin is before it is installed, and the plain warning that it runs code here."""

    def __init__(self, prepared: PreparedInstall, parent=None):
        super().__init__(parent)
        self.setWindowTitle(f"Install {prepared.distribution}?")
        self.setWindowModality(Qt.WindowModal)
        form = QFormLayout()
        homepage = QLabel(f'<a href="{prepared.homepage}">{prepared.homepage}</a>' if prepared.homepage else "not given")
        homepage.setOpenExternalLinks(True)
        backends = "\n".join(f"{name} ({backend_id})" for backend_id, name in prepared.backends)
        version = prepared.version + (f" (replaces {prepared.replaces})" if prepared.replaces else "")
        self.fields = {"Name": prepared.distribution, "Version": version, "Licence": prepared.license,
                       "Summary": prepared.summary or "not given", "Homepage": prepared.homepage or "not given",
                       "Adds backends": backends}
        for label, text in self.fields.items():
            widget = homepage if label == "Homepage" else QLabel(text)
            widget.setWordWrap(True)
            widget.setTextInteractionFlags(widget.textInteractionFlags() | Qt.TextSelectableByMouse)
            form.addRow(label, widget)
        self.warning = QLabel(RUNS_CODE)
        self.warning.setWordWrap(True)
        self.warning.setStyleSheet(f"color: {theme.WARNING}; font-weight: bold")
        self.buttons = QDialogButtonBox()
        self.install_button = self.buttons.addButton("Install", QDialogButtonBox.AcceptRole)
        self.buttons.addButton(QDialogButtonBox.Cancel).setDefault(True)  # Enter does not install
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.warning)
        layout.addWidget(self.buttons)
