"""The canvas view: wheel zoom around the cursor, pan with the middle button or Space, fit to view, toasts."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt, QTimer
from PySide6.QtGui import (
    QAction,
    QGuiApplication,
    QKeyEvent,
    QKeySequence,
    QMouseEvent,
    QPainter,
    QResizeEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import QFrame, QGraphicsView, QLabel, QWidget

from cronium_desktop.ui.workflows.mime import MIME_NODES
from cronium_desktop.ui.workflows.scene import WorkflowScene

MIN_ZOOM, MAX_ZOOM = 0.1, 3.0


class WorkflowView(QGraphicsView):
    def __init__(self, scene: WorkflowScene, parent: QWidget | None = None) -> None:
        super().__init__(scene, parent)
        self.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)
        self.setOptimizationFlag(QGraphicsView.OptimizationFlag.DontSavePainterState, True)
        self.setCacheMode(QGraphicsView.CacheModeFlag.CacheBackground)
        self.setDragMode(QGraphicsView.DragMode.RubberBandDrag)
        self.setRubberBandSelectionMode(Qt.ItemSelectionMode.IntersectsItemShape)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setAcceptDrops(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._panning: QPointF | None = None
        self._space = False
        # After "fit", the view keeps fitting as it is resized (first shown, splitter dragged) until the
        # user zooms or pans: a workflow opened while the page was hidden is then not shown at 10 %.
        self._fitted = False
        self.toast = QLabel(self)
        self.toast.setWordWrap(True)
        self.toast.setStyleSheet("QLabel { background: rgba(32,33,36,0.92); color: white; padding: 8px 12px;"
                                 " border-radius: 8px; }")
        self.toast.hide()
        self._toast_timer = QTimer(self, singleShot=True, interval=6000)
        self._toast_timer.timeout.connect(self.toast.hide)
        scene.notice.connect(self.show_toast)
        self.placeholder = QLabel("Drag events here from the library on the left,\n"
                                  "then drag from a node's right port to another node to connect them.", self)
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setObjectName("muted")
        self.placeholder.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        scene.model.nodeAdded.connect(self._update_placeholder)
        scene.model.nodeRemoved.connect(self._update_placeholder)
        scene.model.modelReset.connect(self._update_placeholder)
        self._update_placeholder()
        self.edit_actions: dict[str, QAction] = {}
        for name, handler, keys in (("Delete", scene.delete_selected, QKeySequence.StandardKey.Delete),
                                    ("Copy", self.copy, QKeySequence.StandardKey.Copy),
                                    ("Paste", self.paste, QKeySequence.StandardKey.Paste),
                                    ("Select all", scene.select_all, QKeySequence.StandardKey.SelectAll)):
            action = QAction(name, self, shortcut=keys, shortcutContext=Qt.ShortcutContext.WidgetShortcut)  # type: ignore[call-overload]  # a StandardKey shortcut; the stubs' keyword takes only QKeySequence
            action.triggered.connect(handler)
            self.addAction(action)
            self.edit_actions[name] = action

    def copy(self) -> None:
        mime = self.workflow_scene().copy_selection()
        if mime is not None:
            QGuiApplication.clipboard().setMimeData(mime)

    def paste(self) -> None:
        mime = QGuiApplication.clipboard().mimeData()
        if mime is not None and mime.hasFormat(MIME_NODES):
            self.workflow_scene().paste(mime)

    def workflow_scene(self) -> WorkflowScene:
        scene = self.scene()
        assert isinstance(scene, WorkflowScene)
        return scene

    # -- zoom ---------------------------------------------------------------------------------------------

    def zoom(self) -> float:
        return self.transform().m11()

    def set_zoom(self, factor: float) -> None:
        factor = max(MIN_ZOOM, min(MAX_ZOOM, factor))
        self.scale(factor / self.zoom(), factor / self.zoom())

    def zoom_by(self, factor: float) -> None:
        self._fitted = False
        self.set_zoom(self.zoom() * factor)

    def wheelEvent(self, event: QWheelEvent) -> None:
        steps = event.angleDelta().y() / 120
        if steps:
            self.zoom_by(1.15 ** steps)
        event.accept()

    def fit_to_view(self) -> None:
        self._fitted = True
        scene = self.workflow_scene()
        if not scene.node_items:
            self.resetTransform()
            self.centerOn(0, 0)
            return
        bounds = QRectF()
        for item in scene.node_items.values():
            bounds = bounds.united(item.sceneBoundingRect())
        self.fitInView(bounds.adjusted(-60, -60, 60, 60), Qt.AspectRatioMode.KeepAspectRatio)
        if self.zoom() > 1.0:  # a small graph is shown at its natural size, not blown up
            self.set_zoom(1.0)
            self.centerOn(bounds.center())
        elif self.zoom() < MIN_ZOOM:
            self.set_zoom(MIN_ZOOM)

    # -- pan: middle button, or Space + left button ---------------------------------------------------------

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.MiddleButton or (self._space and event.button() == Qt.MouseButton.LeftButton):
            self._panning = event.position()
            self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._panning is not None:
            delta = event.position() - self._panning
            self._panning = event.position()
            self.pan_by(-delta.x(), -delta.y())
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._panning is not None:
            self._panning = None
            self.viewport().unsetCursor()
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def pan_by(self, dx: float, dy: float) -> None:
        self._fitted = False
        self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() + round(dx))
        self.verticalScrollBar().setValue(self.verticalScrollBar().value() + round(dy))

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = True
            self.viewport().setCursor(Qt.CursorShape.OpenHandCursor)
            event.accept()
            return
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = False
            self.viewport().unsetCursor()
            event.accept()
            return
        super().keyReleaseEvent(event)

    def _update_placeholder(self, *_args: object) -> None:
        self.placeholder.setVisible(not self.workflow_scene().model.nodes)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.placeholder.setGeometry(self.viewport().geometry())
        if self._fitted:
            self.fit_to_view()

    # -- toasts ---------------------------------------------------------------------------------------------

    def show_toast(self, text: str) -> None:
        self.toast.setText(text)
        self.toast.setMaximumWidth(max(240, self.width() - 40))
        self.toast.adjustSize()
        self.toast.move((self.width() - self.toast.width()) // 2, 16)
        self.toast.show()
        self.toast.raise_()
        self._toast_timer.start()
