"""Light and dark themes that follow the system, and the colours the views share."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

_current = "light"

COLOURS = {
    "light": {
        "window": "#f6f7f9", "panel": "#ffffff", "sidebar": "#eef0f3", "border": "#d8dce2", "text": "#1f2328",
        "muted": "#6b7280", "accent": "#2563eb", "accent_text": "#ffffff", "stderr": "#c62828", "system": "#7c3aed",
        "match": "#fff3bf", "SUCCESS": "#1a7f37", "FAILURE": "#cf222e", "TIMEOUT": "#bc4c00", "PARTIAL": "#9a6700",
        "RUNNING": "#0969da", "PENDING": "#6e7781", "CANCELLED": "#6e7781", "SKIPPED": "#8c959f",
        "ACTIVE": "#1a7f37", "PAUSED": "#9a6700", "DRAFT": "#6e7781", "ARCHIVED": "#8c959f",
    },
    "dark": {
        "window": "#1b1c1f", "panel": "#232428", "sidebar": "#17181b", "border": "#34363c", "text": "#e6e7ea",
        "muted": "#9aa0a6", "accent": "#4f8cff", "accent_text": "#ffffff", "stderr": "#ff7b72", "system": "#c4a5ff",
        "match": "#4d4216", "SUCCESS": "#3fb950", "FAILURE": "#f85149", "TIMEOUT": "#db6d28", "PARTIAL": "#d29922",
        "RUNNING": "#58a6ff", "PENDING": "#8b949e", "CANCELLED": "#8b949e", "SKIPPED": "#6e7681",
        "ACTIVE": "#3fb950", "PAUSED": "#d29922", "DRAFT": "#8b949e", "ARCHIVED": "#6e7681",
    },
}


def system_theme() -> str:
    hints = QApplication.styleHints()
    scheme = hints.colorScheme() if hasattr(hints, "colorScheme") else Qt.ColorScheme.Unknown
    return "dark" if scheme == Qt.ColorScheme.Dark else "light"


def current() -> str:
    return _current


def colour(name: str) -> str:
    return COLOURS[_current].get(name, COLOURS[_current]["text"])


def apply(app: QApplication, choice: str = "system") -> str:
    """Apply "light", "dark" or "system"; returns the theme in force."""
    global _current
    _current = system_theme() if choice == "system" else choice
    c = COLOURS[_current]
    app.setStyle("Fusion")
    palette = QPalette()
    for role, key in ((QPalette.ColorRole.Window, "window"), (QPalette.ColorRole.Base, "panel"),
                      (QPalette.ColorRole.AlternateBase, "window"), (QPalette.ColorRole.Text, "text"),
                      (QPalette.ColorRole.WindowText, "text"), (QPalette.ColorRole.Button, "panel"),
                      (QPalette.ColorRole.ButtonText, "text"), (QPalette.ColorRole.Highlight, "accent"),
                      (QPalette.ColorRole.HighlightedText, "accent_text"), (QPalette.ColorRole.ToolTipBase, "panel"),
                      (QPalette.ColorRole.ToolTipText, "text"), (QPalette.ColorRole.PlaceholderText, "muted")):
        palette.setColor(role, QColor(c[key]))
    app.setPalette(palette)
    app.setStyleSheet(f"""
        QWidget {{ font-size: 10pt; }}
        #sidebar {{ background: {c['sidebar']}; border: none; border-right: 1px solid {c['border']}; padding-top: 8px; }}
        #sidebar::item {{ padding: 9px 14px; margin: 1px 8px; border-radius: 6px; color: {c['text']}; }}
        #sidebar::item:selected {{ background: {c['accent']}; color: {c['accent_text']}; }}
        #sidebar::item:hover:!selected {{ background: {c['border']}; }}
        #brand {{ background: {c['sidebar']}; border-right: 1px solid {c['border']}; }}
        #brandName {{ font-size: 13pt; font-weight: 600; }}
        #pageTitle {{ font-size: 15pt; font-weight: 600; }}
        #muted {{ color: {c['muted']}; }}
        #error {{ color: {c['FAILURE']}; }}
        #emptyTitle {{ font-size: 13pt; font-weight: 600; }}
        #workflowTitle {{ font-size: 13pt; font-weight: 600; }}
        QPushButton:disabled {{ color: {c['muted']}; background: {c['window']}; border-color: {c['window']}; }}
        #card {{ background: {c['panel']}; border: 1px solid {c['border']}; border-radius: 8px; }}
        #cardValue {{ font-size: 18pt; font-weight: 600; }}
        QTableView, QTreeView, QListView {{ background: {c['panel']}; border: 1px solid {c['border']}; border-radius: 6px;
            gridline-color: {c['border']}; selection-background-color: {c['accent']}; }}
        QHeaderView::section {{ background: {c['window']}; border: none; border-bottom: 1px solid {c['border']};
            padding: 6px; font-weight: 600; color: {c['muted']}; }}
        QPushButton {{ padding: 5px 12px; border: 1px solid {c['border']}; border-radius: 6px; background: {c['panel']}; }}
        QPushButton:hover {{ border-color: {c['accent']}; }}
        QPushButton#primary {{ background: {c['accent']}; color: {c['accent_text']}; border-color: {c['accent']}; }}
        QPushButton:disabled {{ color: {c['muted']}; }}
        QLineEdit, QPlainTextEdit {{ padding: 4px 6px; border: 1px solid {c['border']}; border-radius: 5px;
            background: {c['panel']}; }}
        QComboBox, QSpinBox, QDoubleSpinBox, QDateTimeEdit {{ min-height: 24px; }}
        QLineEdit[invalid="true"], QPlainTextEdit[invalid="true"] {{ border: 1px solid {c['FAILURE']}; }}
        QTabWidget::pane {{ border: 1px solid {c['border']}; border-radius: 6px; top: -1px; }}
        QTabBar::tab {{ padding: 6px 14px; }}
        QGroupBox {{ border: 1px solid {c['border']}; border-radius: 6px; margin-top: 10px; padding-top: 8px; }}
        QGroupBox::title {{ subcontrol-origin: margin; left: 8px; padding: 0 4px; color: {c['muted']}; }}
    """)
    return _current
