"""The settings dialog, built from the declarations in app/storage/settings.py.

Each setting gets the control its type calls for, labelled with its label and carrying
its description as the accessible description and tooltip, so nothing is said twice
in code. Values are written only on OK. The settings scroll inside the dialog, and OK
and Cancel stay below them, always visible: at 200% scaling the rows need more height
than a 1920x1080 screen has.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QSize, Qt
from PySide6.QtWidgets import (QApplication, QCheckBox, QComboBox, QDialog, QDialogButtonBox, QFileDialog, QFormLayout,
                               QFrame, QGroupBox, QHBoxLayout, QLabel, QLineEdit, QPushButton, QScrollArea,
                               QSpinBox, QStyle, QVBoxLayout, QWidget)

from app.hotkeys.actions import ACTIONS
from app.hotkeys.settings import ENABLED, KEYS
from app.storage.settings import (ALL_SETTINGS, MODEL_FOLDER, MONITOR_ALL, MONITOR_POINTER, OUTPUT_AUTO, OUTPUT_BOTH,
                          OUTPUT_SCREEN_READER, OUTPUT_VOICE, RATE, READER_CHANNEL, VOICE, VOLUME, Setting, Settings)
from app.ui.reader_summary import reader_summary
from app.ui.screen_fit import fit_to_screen

CHOICE_LABELS = {MONITOR_POINTER: "The monitor under the mouse pointer", MONITOR_ALL: "All monitors together",
                 OUTPUT_AUTO: "Automatic: my screen reader if one is running, else the app's voice",
                 OUTPUT_VOICE: "The app's own voice", OUTPUT_SCREEN_READER: "My screen reader",
                 OUTPUT_BOTH: "Both"}
MIN_COMBO_CHARACTERS = 16  # long choices may be cut in the closed box (the open list shows them whole)
SAMPLE_TEXT = "This is how descriptions will sound. A window titled Documents is open, with three files."


def _tr(text: str) -> str:
    return QCoreApplication.translate("SettingsDialog", text)


class SettingsDialog(QDialog):
    def __init__(self, settings: Settings, parent: QWidget | None = None, speech=None):
        super().__init__(parent)
        self.setWindowTitle(_tr("Settings"))
        self.setObjectName("settings_dialog")
        self._settings = settings
        self._speech = speech  # app.speech.speech_link.SpeechLink, for the voice list and Test voice
        self.controls: dict[str, QWidget] = {}
        form = QFormLayout()
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        for setting in ALL_SETTINGS:
            control = self._control(setting)
            control.setObjectName("setting_" + setting.key.replace("/", "_"))
            editor = control.findChild(QLineEdit) if setting is MODEL_FOLDER else control
            editor.setAccessibleName(setting.tr_label())
            editor.setAccessibleDescription(setting.tr_description())
            editor.setToolTip(setting.tr_description())
            self.controls[setting.key] = control
            if isinstance(control, QComboBox):  # as wide as the longest choice when there is room, narrower if not
                control.setMinimumWidth(control.fontMetrics().averageCharWidth() * MIN_COMBO_CHARACTERS)
            if isinstance(control, QCheckBox):
                form.addRow(control)
            else:
                label = QLabel(setting.tr_label() + ":")
                label.setBuddy(editor)
                form.addRow(label, control)
            if setting is VOLUME:
                form.addRow(self._test_voice_button())
            if setting is READER_CHANNEL and speech is not None:
                self.reader_summary = QLabel(reader_summary(*speech.look()))
                self.reader_summary.setObjectName("reader_summary")
                self.reader_summary.setWordWrap(True)
                self.reader_summary.setAccessibleDescription(_tr("Screen reader found"))
                self.reader_summary.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # Tab reaches it, so it is read
                form.addRow(self.reader_summary)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        content = QWidget()
        rows = QVBoxLayout(content)
        rows.addLayout(form)
        rows.addWidget(self._shortcut_group())
        self.scroll = QScrollArea()
        self.scroll.setObjectName("settings_scroll")
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Tab goes to the settings; it scrolls to each one
        self.scroll.setWidget(content)
        layout = QVBoxLayout(self)
        layout.addWidget(self.scroll, 1)
        layout.addWidget(self.buttons)
        QApplication.instance().focusChanged.connect(self._show_focused)

    def _show_focused(self, _old: QWidget | None, new: QWidget | None) -> None:
        """The focused setting scrolled into view, also when Tab comes from OK or Cancel (QScrollArea
        scrolls only when the focus moves between its own children: qscrollarea.cpp, focusNextPrevChild)."""
        if new is not None and self.scroll.widget().isAncestorOf(new):
            self.scroll.ensureWidgetVisible(new)

    def showEvent(self, event) -> None:
        """As large as the settings need, up to what the screen has room for (then they scroll)."""
        if event.spontaneous():  # shown again by the window system (un-minimized): keep the user's size
            super().showEvent(event)
            return
        content = self.scroll.widget().sizeHint()
        bar = self.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent, None, self)
        outside = self.sizeHint() - self.scroll.sizeHint()  # margins and the button row
        fit_to_screen(self, QSize(content.width() + bar, content.height()) + outside)
        super().showEvent(event)

    def _shortcut_group(self) -> QGroupBox:
        """Global shortcuts (app/hotkeys): per action, on or off, and the keys as text."""
        group = QGroupBox(_tr("Global shortcuts (they work in every app)"))
        rows = QFormLayout(group)
        self.shortcut_controls: dict[str, tuple[QCheckBox, QLineEdit]] = {}
        for item in ACTIONS:
            box = QCheckBox(item.tr_label())
            box.setChecked(self._settings.get(ENABLED[item.id]))
            box.setAccessibleName(item.tr_label())
            box.setAccessibleDescription(_tr("Turns this global shortcut on or off. {0}").format(item.tr_description()))
            edit = QLineEdit(self._settings.get(KEYS[item.id]))
            edit.setAccessibleName(_tr("Keys for {0}").format(item.tr_label()))
            edit.setAccessibleDescription(_tr("Type the keys, for example Ctrl+Alt+Shift+D. A combination that "
                                              "cannot be used is reported after you press OK."))
            edit.setToolTip(edit.accessibleDescription())
            rows.addRow(box, edit)
            self.shortcut_controls[item.id] = (box, edit)
        return group

    def _control(self, setting: Setting) -> QWidget:
        value = self._settings.get(setting)
        if setting.type is bool:
            box = QCheckBox(setting.tr_label())
            box.setChecked(value)
            return box
        if setting.type is int:
            spin = QSpinBox()
            spin.setRange(setting.minimum, setting.maximum)
            spin.setSingleStep(setting.step)
            if setting.special_value:
                spin.setSpecialValueText(QCoreApplication.translate("Settings", setting.special_value))
            if setting.suffix:
                spin.setSuffix(QCoreApplication.translate("Settings", setting.suffix))
            spin.setValue(value)
            return spin
        if setting is VOICE:
            combo = QComboBox()
            combo.addItem(_tr("System default"), "")
            for voice_id, name in (self._speech.voices() if self._speech is not None else []):
                combo.addItem(name, voice_id)
            if combo.findData(value) < 0:  # a voice from another machine: kept, and shown as such
                combo.addItem(_tr("{0} (not on this computer)").format(value), value)
            combo.setCurrentIndex(max(0, combo.findData(value)))
            return combo
        if setting.choices:
            combo = QComboBox()
            labels = setting.choice_labels or tuple(CHOICE_LABELS.get(choice, choice) for choice in setting.choices)
            for choice, label in zip(setting.choices, labels):
                combo.addItem(_tr(label), choice)
            combo.setCurrentIndex(max(0, combo.findData(value)))
            return combo
        edit = QLineEdit(value)
        if setting is not MODEL_FOLDER:
            return edit
        from engine.model_files import resolve_model_dir

        edit.setPlaceholderText(_tr("Default: {0}").format(resolve_model_dir(None)))
        holder = QWidget()
        row = QHBoxLayout(holder)
        row.setContentsMargins(0, 0, 0, 0)
        browse = QPushButton(_tr("&Browse..."))
        browse.setAccessibleName(_tr("Browse for the model folder"))
        browse.clicked.connect(lambda: self._browse(edit))
        row.addWidget(edit, 1)
        row.addWidget(browse)
        return holder

    def _test_voice_button(self) -> QPushButton:
        button = QPushButton(_tr("&Test voice"))
        button.setObjectName("test_voice")
        button.setAccessibleName(_tr("Test voice"))
        button.setAccessibleDescription(_tr("Speaks a sample sentence with the voice, rate and volume chosen "
                                            "above, before you press OK."))
        button.setEnabled(self._speech is not None)
        button.clicked.connect(self.test_voice)
        return button

    def test_voice(self) -> None:
        """The chosen (not yet saved) voice settings, heard at once."""
        self._speech.set_voice(self.value(RATE), self.value(VOLUME), self.value(VOICE))
        self._speech.test_voice(_tr(SAMPLE_TEXT))
        self._tested = True

    def _browse(self, edit: QLineEdit) -> None:
        dialog = QFileDialog(self, _tr("Choose the model folder"), edit.text())
        dialog.setFileMode(QFileDialog.FileMode.Directory)
        dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.fileSelected.connect(edit.setText)
        dialog.open()

    def value(self, setting: Setting):
        control = self.controls[setting.key]
        if isinstance(control, QCheckBox):
            return control.isChecked()
        if isinstance(control, QSpinBox):
            return control.value()
        if isinstance(control, QComboBox):
            return control.currentData()
        if isinstance(control, QLineEdit):
            return control.text().strip()
        return control.findChild(QLineEdit).text().strip()

    def done(self, result: int) -> None:
        if getattr(self, "_tested", False) and result != QDialog.DialogCode.Accepted:
            # Cancel after Test voice: the voice goes back to the saved settings.
            self._speech.stop()
            self._speech.set_voice(self._settings.get(RATE), self._settings.get(VOLUME), self._settings.get(VOICE))
        super().done(result)

    def accept(self) -> None:
        for setting in ALL_SETTINGS:
            self._settings.set(setting, self.value(setting))
        for action_id, (box, edit) in self.shortcut_controls.items():
            self._settings.set(KEYS[action_id], edit.text().strip())
            self._settings.set(ENABLED[action_id], box.isChecked())
        super().accept()
