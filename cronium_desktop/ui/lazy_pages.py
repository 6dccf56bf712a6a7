"""The window's pages, each built the first time it is shown (or asked for).

Building every page at start imported the canvas, the terminal, the code editor and the charts
before the window could show; now start-up builds the page the window opens on, and a placeholder
stands in the stack for each other one until its first visit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from PySide6.QtWidgets import QStackedWidget, QWidget


class LazyPages:
    """name → page, like a dict; `pages[name]` builds the page on first use and puts it in `stack`."""

    def __init__(self, names: tuple[str, ...], stack: QStackedWidget,
                 factories: dict[str, Callable[[], QWidget]], on_built: Callable[[QWidget], None]) -> None:
        self._names, self._stack, self._factories, self._on_built = names, stack, factories, on_built
        self._built: dict[str, QWidget] = {}
        for _ in names:
            stack.addWidget(QWidget(stack))  # a placeholder until the page is first shown

    def set_factories(self, factories: dict[str, Callable[[], QWidget]]) -> None:
        """How each page is built, once that can be known (the window is shown before its engine)."""
        self._factories = factories

    def __getitem__(self, name: str) -> QWidget:
        page = self._built.get(name)
        if page is None:
            page = self._factories[name]()
            self._put(name, page)
            self._on_built(page)
        return page

    def __setitem__(self, name: str, page: QWidget) -> None:
        """Replace a page (built or not) with `page`."""
        self._put(name, page)

    def _put(self, name: str, page: QWidget) -> None:
        index = self._names.index(name)
        current = self._stack.currentIndex()
        old = self._stack.widget(index)
        assert old is not None  # every name has a placeholder or its page at its index
        self._stack.insertWidget(index, page)
        self._stack.removeWidget(old)
        if old is not None and old not in self._built.values():
            old.deleteLater()
        self._built[name] = page
        if current == index:
            self._stack.setCurrentIndex(index)

    def get(self, name: str, default: QWidget | None = None) -> QWidget | None:
        """The page if it was built, else `default` (nothing is built)."""
        return self._built.get(name, default)

    def built(self) -> list[QWidget]:
        return list(self._built.values())

    def values(self) -> list[QWidget]:
        return self.built()

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __contains__(self, name: object) -> bool:
        return name in self._names

    def __len__(self) -> int:
        return len(self._names)
