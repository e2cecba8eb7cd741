"""Shown while there is no usable model: choose the GGUF pair, or convert a downloaded checkpoint.

The page only shows and asks; the controller decides (widgets show, the controller
owns the work). All text labels take keyboard focus so a screen-reader
user can Tab to the message and the instructions and read them.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget

from resources import APP_NAME


def _tr(text: str) -> str:
    return QCoreApplication.translate("FirstRunPage", text)


INSTRUCTIONS = (
    "{app} describes images with the VisionPangu model, which runs entirely on this "
    "computer. The app never downloads anything, so the model has to be put in place once.\n\n"
    "If you already have the converted model files (model-….gguf and mmproj-….gguf), press "
    "\u201cChoose model folder\u201d and pick the folder that holds them.\n\n"
    "Otherwise, download the VisionPangu checkpoint with your web browser from the page where the "
    "VisionPangu model is published (its Hugging Face model page). Download the whole folder: config.json, "
    "the .safetensors files, tokenizer.model and tokenizer_config.json. Then press \u201cConvert "
    "checkpoint\u201d and pick that folder. Conversion takes a few minutes and writes the model files to:\n{folder}\n\n"
    "Conversion stores the vision encoder in the fastest exact format for this computer: BF16 where the "
    "processor has AVX512_BF16 (AMD Zen 4 and later, recent Intel Xeon), F16 elsewhere. Model files converted "
    "with F16 keep working; on AMD Zen 4 and later, converting again reads images about 30% faster.")


def _reading_label(text: str = "") -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByKeyboard
                                  | Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
    return label


class FirstRunPage(QWidget):
    model_folder_chosen = Signal(str)
    checkpoint_chosen = Signal(str)
    cancel_requested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("first_run_page")
        layout = QVBoxLayout(self)
        self.heading = QLabel(_tr("Set up the description model"))
        font = self.heading.font()
        font.setPointSizeF(font.pointSizeF() * 1.4)
        font.setBold(True)
        self.heading.setFont(font)
        self.heading.setAccessibleName(_tr("Set up the description model"))
        layout.addWidget(self.heading)

        self.message = _reading_label()
        self.message.setObjectName("setup_message")
        self.message.setAccessibleDescription(_tr("Problem"))  # the name stays the text itself
        layout.addWidget(self.message)

        self.instructions = _reading_label()
        self.instructions.setObjectName("setup_instructions")
        self.instructions.setAccessibleDescription(_tr("Instructions"))  # the name stays the text itself
        layout.addWidget(self.instructions)

        row = QHBoxLayout()
        self.choose_button = QPushButton(_tr("Choose &model folder..."))
        self.choose_button.setObjectName("choose_model_button")
        self.choose_button.setAccessibleName(_tr("Choose model folder"))
        self.choose_button.setAccessibleDescription(_tr("Pick the folder with model-….gguf and mmproj-….gguf"))
        self.convert_button = QPushButton(_tr("&Convert checkpoint..."))
        self.convert_button.setObjectName("convert_button")
        self.convert_button.setAccessibleName(_tr("Convert checkpoint"))
        self.convert_button.setAccessibleDescription(_tr("Pick the downloaded VisionPangu checkpoint folder "
                                                         "and convert it for this app"))
        row.addWidget(self.choose_button)
        row.addWidget(self.convert_button)
        row.addStretch(1)
        layout.addLayout(row)

        self.progress = QProgressBar()
        self.progress.setObjectName("convert_progress")
        self.progress.setAccessibleName(_tr("Conversion progress"))
        self.progress_label = _reading_label()
        self.progress_label.setObjectName("convert_progress_label")
        self.progress_label.setAccessibleDescription(_tr("Conversion status"))  # the name stays the text itself
        self.cancel_button = QPushButton(_tr("C&ancel conversion"))
        self.cancel_button.setObjectName("cancel_convert_button")
        self.cancel_button.setAccessibleName(_tr("Cancel conversion"))
        self.cancel_button.setAccessibleDescription(_tr("Stop converting; nothing half-written is kept"))
        layout.addWidget(self.progress_label)
        layout.addWidget(self.progress)
        layout.addWidget(self.cancel_button)
        layout.addStretch(1)
        self.set_converting(False)

        self.choose_button.clicked.connect(self._choose_model_folder)
        self.convert_button.clicked.connect(self._choose_checkpoint)
        self.cancel_button.clicked.connect(self.cancel_requested)
        self._dialog: QFileDialog | None = None

    def show_problem(self, message: str, model_folder: str) -> None:
        self.message.setText(message)
        self.instructions.setText(_tr(INSTRUCTIONS).format(app=APP_NAME, folder=model_folder))

    def set_converting(self, is_converting: bool) -> None:
        self.choose_button.setEnabled(not is_converting)
        self.convert_button.setEnabled(not is_converting)
        self.progress.setVisible(is_converting)
        self.progress_label.setVisible(is_converting)
        self.cancel_button.setVisible(is_converting)
        if is_converting:
            self.progress.setRange(0, 0)  # busy until the first step arrives
            self.progress_label.setText(_tr("Starting the converter..."))

    def set_progress(self, done: int, total: int, label: str) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(min(done, total))
        self.progress_label.setText(_tr("{0}: step {1} of {2}").format(label, done, total))

    def _open_folder_dialog(self, title: str, on_chosen) -> None:
        """A non-blocking dialog (tests drive it; nothing waits on a nested event loop)."""
        dialog = QFileDialog(self, title)
        dialog.setFileMode(QFileDialog.FileMode.Directory)
        dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.fileSelected.connect(on_chosen)
        self._dialog = dialog
        dialog.open()

    def _choose_model_folder(self) -> None:
        self._open_folder_dialog(_tr("Choose the model folder"), self.model_folder_chosen.emit)

    def _choose_checkpoint(self) -> None:
        self._open_folder_dialog(_tr("Choose the downloaded checkpoint folder"), self.checkpoint_chosen.emit)
