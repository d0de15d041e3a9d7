"""The look: a dark, neutral palette (photos are judged against gray), one warm accent, and the icons."""

from __future__ import annotations

import desktop.qt_compat  # noqa: F401  (first: guards against a PySide6 6.12 bug)

from functools import lru_cache

from PySide6.QtGui import QColor, QIcon, QPalette
from PySide6.QtWidgets import QApplication

from plugins.resources import resources_dir

WINDOW = "#1e1f22"
PANEL = "#25262a"
RAISED = "#2d2e33"
BORDER = "#3a3c42"
TEXT = "#e4e5e9"
MUTED = "#9b9ea8"
ACCENT = "#f0a23c"
ACCENT_TEXT = "#1b1409"
VIEWER = "#141517"
ERROR = "#f0605a"
WARNING = "#f0c04a"
INFO = "#5aa9f0"

ICONS = (resources_dir() / "icons").as_posix()

STYLESHEET = f"""
QMainWindow, QDialog {{ background: {WINDOW}; }}
QToolBar {{ background: {PANEL}; border: none; border-bottom: 1px solid {BORDER}; padding: 4px 6px; spacing: 2px; }}
QToolBar QToolButton {{ color: {TEXT}; padding: 5px 8px; border-radius: 6px; }}
QToolBar QToolButton:hover {{ background: {RAISED}; }}
QToolBar QToolButton:checked {{ background: #3b3d44; }}
QToolBar::separator {{ background: {BORDER}; width: 1px; margin: 6px 6px; }}
QStatusBar {{ background: {PANEL}; color: {MUTED}; border-top: 1px solid {BORDER}; }}
QStatusBar QLabel {{ color: {MUTED}; padding: 0 6px; }}
QMenuBar {{ background: {PANEL}; color: {TEXT}; }}
QMenuBar::item:selected, QMenu::item:selected {{ background: {RAISED}; }}
QMenu {{ background: {RAISED}; color: {TEXT}; border: 1px solid {BORDER}; padding: 4px; }}
QMenu::item {{ padding: 5px 24px 5px 20px; border-radius: 4px; }}
QMenu::separator {{ height: 1px; background: {BORDER}; margin: 4px 8px; }}
#SidePanel {{ background: {PANEL}; border-left: 1px solid {BORDER}; }}
#SectionTitle {{ color: {MUTED}; font-size: 8.5pt; font-weight: 600; letter-spacing: 1px; padding-top: 6px; }}
#Hint {{ color: {MUTED}; }}
#BackendInfo {{ color: {MUTED}; font-size: 8.5pt; }}
QLabel {{ color: {TEXT}; }}
QComboBox, QSpinBox, QDoubleSpinBox, QLineEdit {{
    background: {RAISED}; color: {TEXT}; border: 1px solid {BORDER}; border-radius: 5px; padding: 3px 6px; min-height: 20px;
}}
QComboBox::drop-down {{ border: none; width: 22px; }}
QComboBox::down-arrow {{ image: url({ICONS}/chevron-down.svg); width: 12px; height: 12px; }}
QSpinBox::up-button, QDoubleSpinBox::up-button, QSpinBox::down-button, QDoubleSpinBox::down-button {{
    border: none; background: transparent; width: 18px;
}}
QSpinBox::up-arrow, QDoubleSpinBox::up-arrow {{ image: url({ICONS}/chevron-up.svg); width: 10px; height: 10px; }}
QSpinBox::down-arrow, QDoubleSpinBox::down-arrow {{ image: url({ICONS}/chevron-down.svg); width: 10px; height: 10px; }}
QComboBox:focus, QSpinBox:focus, QDoubleSpinBox:focus, QLineEdit:focus {{ border-color: {ACCENT}; }}
QComboBox QAbstractItemView {{ background: {RAISED}; color: {TEXT}; selection-background-color: #3b3d44; border: 1px solid {BORDER}; }}
QPushButton {{ background: {RAISED}; color: {TEXT}; border: 1px solid {BORDER}; border-radius: 6px; padding: 5px 12px; }}
QPushButton:hover {{ background: #35373d; }}
QPushButton:pressed {{ background: #2a2b30; }}
QPushButton:checked {{ background: #44464e; border-color: {ACCENT}; }}
QPushButton:disabled {{ color: #62646b; background: #28292d; }}
QPushButton#Primary {{ background: {ACCENT}; color: {ACCENT_TEXT}; border: none; font-weight: 600; padding: 7px 14px; }}
QPushButton#Primary:hover {{ background: #f5b157; }}
QPushButton#Primary:disabled {{ background: #5a4a33; color: #9a8a70; }}
QToolButton#Flat {{ background: transparent; border: none; border-radius: 5px; padding: 3px; }}
QToolButton#Flat:hover {{ background: {RAISED}; }}
QToolButton#Flat:checked {{ background: #44464e; }}
QProgressBar {{ background: {RAISED}; border: none; border-radius: 3px; height: 6px; text-align: center; color: transparent; }}
QProgressBar::chunk {{ background: {ACCENT}; border-radius: 3px; }}
QSlider::groove:horizontal {{ height: 4px; background: {BORDER}; border-radius: 2px; }}
QSlider::sub-page:horizontal {{ background: #8c8f98; border-radius: 2px; }}
QSlider::handle:horizontal {{ background: {TEXT}; width: 14px; height: 14px; margin: -5px 0; border-radius: 7px; }}
QListWidget, QTreeWidget, QPlainTextEdit {{ background: {PANEL}; color: {TEXT}; border: none; }}
QTreeWidget::item {{ padding: 7px 4px; }}
QRadioButton, QCheckBox {{ color: {TEXT}; spacing: 7px; }}
QRadioButton::indicator, QCheckBox::indicator {{ width: 14px; height: 14px; background: {RAISED}; border: 1px solid #8c8f98; }}
QRadioButton::indicator {{ border-radius: 8px; }}
QCheckBox::indicator {{ border-radius: 3px; }}
QRadioButton::indicator:checked {{ background: {WINDOW}; border: 4px solid {ACCENT}; width: 8px; height: 8px; }}
QCheckBox::indicator:checked {{ background: {ACCENT}; border-color: {ACCENT}; image: url({ICONS}/check.svg); }}
QRadioButton::indicator:hover, QCheckBox::indicator:hover {{ border-color: {TEXT}; }}
QDialogButtonBox {{ dialogbuttonbox-buttons-have-icons: 0; }}
QHeaderView::section {{ background: {RAISED}; color: {MUTED}; border: none; border-right: 1px solid {BORDER}; padding: 5px 8px; }}
QScrollBar:vertical, QScrollBar:horizontal {{ background: transparent; width: 10px; height: 10px; }}
QScrollBar::handle {{ background: #4a4c53; border-radius: 4px; min-height: 24px; min-width: 24px; }}
QScrollBar::add-line, QScrollBar::sub-line {{ width: 0; height: 0; }}
QScrollBar::add-page, QScrollBar::sub-page {{ background: transparent; }}
QToolTip {{ background: {RAISED}; color: {TEXT}; border: 1px solid {BORDER}; padding: 4px; }}
QSplitter::handle {{ background: {BORDER}; }}
"""


def apply(app: QApplication) -> None:
    app.setStyle("Fusion")
    palette = QPalette()
    for role, color in (
        (QPalette.Window, WINDOW),
        (QPalette.WindowText, TEXT),
        (QPalette.Base, PANEL),
        (QPalette.AlternateBase, RAISED),
        (QPalette.Text, TEXT),
        (QPalette.Button, RAISED),
        (QPalette.ButtonText, TEXT),
        (QPalette.ToolTipBase, RAISED),
        (QPalette.ToolTipText, TEXT),
        (QPalette.Highlight, ACCENT),
        (QPalette.HighlightedText, ACCENT_TEXT),
        (QPalette.PlaceholderText, MUTED),
        (QPalette.Link, ACCENT),
    ):
        palette.setColor(role, QColor(color))
    for role in (QPalette.Text, QPalette.ButtonText, QPalette.WindowText):
        palette.setColor(QPalette.Disabled, role, QColor("#62646b"))
    app.setPalette(palette)
    app.setStyleSheet(STYLESHEET)


@lru_cache(maxsize=None)
def icon(name: str) -> QIcon:
    """An icon from ``resources/icons``; an empty icon when the file is missing (never an error)."""
    folder = resources_dir() / "icons"
    if name == "tinct":
        found = QIcon()
        for size in (16, 32, 48, 64, 128, 256):
            path = folder / f"tinct-{size}.png"
            if path.exists():
                found.addFile(str(path))
        return found
    path = folder / f"{name}.svg"
    return QIcon(str(path)) if path.exists() else QIcon()
