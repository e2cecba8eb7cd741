"""The history list: this session's entries (and saved ones, if the user opted in), reopened with Enter.

Entries are written to disk only while "Save history to disk" is on; Clear history asks
first (No is the default button) and then deletes the saved files as well.
While the list does not have the focus it has no current item: Qt's accessibility reports
the current item as focused whether or not its list has the focus (qaccessibleitemviews.cpp,
QAccessibleTableCell::state), so screen readers would hear two focused controls. The row is
remembered and comes back when the list gets the focus again.
"""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QCoreApplication, QEvent, QItemSelectionModel, QModelIndex, QObject, Qt
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QMessageBox, QWidget

from app.storage.history import HistoryEntry, HistoryStore
from app.storage.settings import SAVE_HISTORY, Settings

ENTRY_ROLE = Qt.ItemDataRole.UserRole


def _tr(text: str) -> str:
    return QCoreApplication.translate("History", text)


class HistoryPanel(QObject):
    def __init__(self, view: QListWidget, store: HistoryStore, settings: Settings,
                 report: Callable[..., None], reopen: Callable[[HistoryEntry], None], parent: QObject | None = None):
        super().__init__(parent)
        self.view, self.store, self._settings = view, store, settings
        self._report, self._reopen = report, reopen
        self.entries: list[HistoryEntry] = []
        self._unsaved: dict[str, HistoryEntry] = {}  # by id: changed since they were last written
        self._row_to_restore = -1
        view.itemActivated.connect(self._on_activated)
        view.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.view and event.type() == QEvent.Type.FocusOut:
            self._row_to_restore = self.view.currentRow()
            self.view.selectionModel().setCurrentIndex(QModelIndex(), QItemSelectionModel.SelectionFlag.NoUpdate)
        elif watched is self.view and event.type() == QEvent.Type.FocusIn and self.view.currentRow() < 0:
            if 0 <= self._row_to_restore < self.view.count():
                self.view.setCurrentRow(self._row_to_restore)
            elif self.view.count():
                self.view.setCurrentRow(0)
        return False

    def load_saved(self) -> None:
        if self._settings.get(SAVE_HISTORY):
            for entry in self.store.load():
                self.add(entry)

    def add(self, entry: HistoryEntry) -> None:
        self.entries.append(entry)
        item = QListWidgetItem(entry.title())
        item.setData(ENTRY_ROLE, entry.id)
        self.view.addItem(item)

    def changed(self, entry: HistoryEntry) -> None:
        for row in range(self.view.count()):
            item = self.view.item(row)
            if item.data(ENTRY_ROLE) == entry.id:
                item.setText(entry.title())
        self._unsaved[entry.id] = entry
        self.flush()

    def flush(self) -> None:
        """Save every changed entry not on disk yet (one whose save failed is tried again), if saving is on."""
        if not self._settings.get(SAVE_HISTORY):
            self._unsaved.clear()
            return
        for entry in list(self._unsaved.values()):
            try:
                self.store.save(entry)
            except OSError as exc:
                self._report(_tr("History could not be saved: {0}").format(exc.strerror or exc), True)
                return
            del self._unsaved[entry.id]

    def _on_activated(self, item: QListWidgetItem) -> None:
        entry = next((e for e in self.entries if e.id == item.data(ENTRY_ROLE)), None)
        if entry is not None:
            self._reopen(entry)

    def ask_to_clear(self, parent: QWidget) -> None:
        box = QMessageBox(QMessageBox.Icon.Question, _tr("Clear history"),
                          _tr("Forget all images and descriptions, including saved ones?"),
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, parent)
        box.setDefaultButton(QMessageBox.StandardButton.No)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.finished.connect(lambda result: self.clear() if result == QMessageBox.StandardButton.Yes else None)
        box.open()

    def clear(self) -> None:
        self.entries.clear()
        self._unsaved.clear()
        self.view.clear()
        try:
            self.store.clear()
        except OSError as exc:
            self._report(_tr("Saved history could not be deleted: {0}").format(exc.strerror or exc), True)
            return
        self._report(_tr("History cleared."))
