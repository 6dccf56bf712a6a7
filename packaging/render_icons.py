"""Render the application icon's PNG sizes (and a Windows .ico) from its SVG with Qt's own renderer.

    QT_QPA_PLATFORM=offscreen .venv/bin/python packaging/render_icons.py

The PNGs are committed beside the SVG; run this again after changing the drawing.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage, QImageWriter, QPainter
from PySide6.QtSvg import QSvgRenderer

ICONS = Path(__file__).resolve().parent.parent / "cronium_desktop" / "resources" / "icons"
SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def render(renderer: QSvgRenderer, size: int) -> QImage:
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    return image


def main() -> int:
    _app = QGuiApplication(sys.argv)
    renderer = QSvgRenderer(str(ICONS / "cronium-desktop.svg"))
    if not renderer.isValid():
        print("error: the SVG could not be read", file=sys.stderr)
        return 1
    for size in SIZES:
        path = ICONS / f"cronium-desktop-{size}.png"
        if not render(renderer, size).save(str(path)):
            print(f"error: could not write {path}", file=sys.stderr)
            return 1
        print(path.relative_to(ICONS.parent.parent.parent))
    # Windows wants an .ico, macOS an .icns: Qt's image plugins write both (256 and 512 px).
    formats = [bytes(f.data()) for f in QImageWriter.supportedImageFormats()]
    for extension, size in (("ico", 256), ("icns", 512)):
        if extension.encode() in formats:
            render(renderer, size).save(str(ICONS / f"cronium-desktop.{extension}"), extension)
            print(f"cronium_desktop/resources/icons/cronium-desktop.{extension}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
