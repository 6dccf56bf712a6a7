"""The editor's colours: one palette per app theme, plus a high-contrast one."""

from __future__ import annotations

PALETTES = {  # role → 0xRRGGBB
    "light": {"background": 0xFFFFFF, "text": 0x24292F, "comment": 0x6E7781, "number": 0x0550AE, "string": 0x0A3069,
              "keyword": 0xCF222E, "name": 0x8250DF, "operator": 0x24292F, "margin": 0xF3F4F6, "margin_text": 0x8C959F,
              "caret_line": 0xF6F8FA, "selection": 0xB6D7FF, "error": 0xD1242F, "warning": 0xBF8700,
              "match": 0xFFE08A, "brace": 0x1A7F37, "mark": 0xFFF3BF},
    "dark": {"background": 0x1E1F22, "text": 0xD4D4D4, "comment": 0x7F8C98, "number": 0xB5CEA8, "string": 0xCE9178,
             "keyword": 0x569CD6, "name": 0xDCDCAA, "operator": 0xD4D4D4, "margin": 0x25262A, "margin_text": 0x6E7681,
             "caret_line": 0x2A2B2F, "selection": 0x264F78, "error": 0xF85149, "warning": 0xD29922,
             "match": 0x6B5B16, "brace": 0x3FB950, "mark": 0x4D4216},
    # Black on white at full contrast, colours only where they carry meaning (WCAG AAA text).
    "high-contrast": {"background": 0x000000, "text": 0xFFFFFF, "comment": 0x7FFF7F, "number": 0xFFFF00,
                      "string": 0x00FFFF, "keyword": 0xFFA0FF, "name": 0xFFFFFF, "operator": 0xFFFFFF,
                      "margin": 0x000000, "margin_text": 0xFFFFFF, "caret_line": 0x1A1A1A, "selection": 0x0050C0,
                      "error": 0xFF4040, "warning": 0xFFD000, "match": 0x806000, "brace": 0x00FF00, "mark": 0x603000},
}
THEMES = tuple(PALETTES)


def bgr(rgb: int) -> int:
    """Scintilla colours are 0xBBGGRR."""
    return ((rgb & 0xFF) << 16) | (rgb & 0xFF00) | ((rgb >> 16) & 0xFF)
