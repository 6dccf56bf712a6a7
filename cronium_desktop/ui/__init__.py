"""The window: pages, dialogs and the tray, a client of the engine's facade (`Engine`).

Type checking: PySide6 accepts any Qt property as a constructor keyword (`QLabel(text, objectName="muted")`),
but its stubs list only each class's own properties, not those it inherits (`objectName`, `toolTip`,
`checked`...). Lines doing so carry `# type: ignore[call-overload]  # Qt property keyword`; nothing else
is silenced there.
"""
