"""Backends ▸ Installed Backends: every backend with its state (loaded, weights, errors) and where it came from."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPlainTextEdit, QTreeWidget, QTreeWidgetItem, QVBoxLayout

from desktop import theme
from plugins.host import PluginHost

COLUMNS = ("Backend", "Version", "License", "Weights", "State", "From")


class PluginsDialog(QDialog):
    def __init__(self, host: PluginHost | None, loaded: dict[str, str], parent=None):
        """``loaded`` maps backend ids loaded this session to their device."""
        super().__init__(parent)
        self.setWindowTitle("Installed backends")
        self.resize(900, 480)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(COLUMNS)
        self.tree.setRootIsDecorated(False)
        self.tree.setAlternatingRowColors(False)
        self.details = QPlainTextEdit()
        self.details.setReadOnly(True)
        self.details.setMaximumHeight(120)
        intro = QLabel("The colorization backends Tinct can use, and whether each is ready. Select one to see what it is "
                       "and where it came from. Backends made by others are Python packages installed beside Tinct.")
        intro.setObjectName("Hint")
        intro.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.Close)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.details)
        layout.addWidget(buttons)
        self.tree.currentItemChanged.connect(lambda item, _old: self.details.setPlainText(item.data(0, Qt.UserRole) if item else ""))
        self.fill(host, loaded)

    def fill(self, host: PluginHost | None, loaded: dict[str, str]) -> None:
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
            elif info.id in loaded:
                state = f"loaded on {loaded[info.id]}"
            else:
                state = "ready" if weights.ok else "cannot load"
            row = QTreeWidgetItem(self.tree, [info.name, info.version, info.license, weights.state, state, entry.distribution])
            lines = [
                f"{info.name} ({info.id}) {info.version}, license {info.license}",
                info.description,
                f"Plugin module {entry.plugin} from {entry.distribution}",
                f"Devices: {', '.join(info.devices)}; up to {info.max_samples} sample(s); works at {info.default_working_size} px",
            ]
            if weights.message:
                lines.append(f"Weights: {weights.message}")
            if failed is not None:
                lines.append(f"Error: {failed.message}")
            row.setData(0, Qt.UserRole, "\n".join(line for line in lines if line))
            if failed is not None or not weights.ok:
                row.setForeground(4, QColor(theme.ERROR if failed else theme.WARNING))
        backend_ids = {entry.info.id for entry in host.backends}
        for failure in host.failures:
            if failure.name in backend_ids:
                continue
            row = QTreeWidgetItem(self.tree, [failure.name, "", "", "", f"broken: {failure.stage} failed", failure.distribution])
            row.setForeground(4, QColor(theme.ERROR))
            row.setData(0, Qt.UserRole, f"{failure.name} from {failure.distribution}\n{failure.stage} failed: {failure.message}")
        for column in range(len(COLUMNS)):
            self.tree.resizeColumnToContents(column)
        if self.tree.topLevelItemCount():
            self.tree.setCurrentItem(self.tree.topLevelItem(0))
