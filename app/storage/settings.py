"""Every setting, declared once: key, type, default, label, description.

Values live in an INI file through QSettings (app/storage/paths.py says where) and are read
typed: a damaged or out-of-range value reads as the default instead of breaking the
app. The file carries a schema version; UPGRADES holds one step per version.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from PySide6.QtCore import QCoreApplication, QObject, QSettings, Signal

from app.speech.base import DEFAULT_RATE_WPM, MAX_RATE_WPM, MIN_RATE_WPM
from app.storage.paths import settings_path
from app.storage.private_files import create_private, private_folder
from app.ui.marked import noop
from engine.device import DEVICES, Device
from engine.prompts import DEFAULT_DETAIL, DETAIL_LEVELS, detail_label

SCHEMA_VERSION = 2
VERSION_KEY = "meta/schema_version"
DETAIL_CHOICES = DETAIL_LEVELS  # resources/prompts.json's levels
MONITOR_POINTER, MONITOR_ALL = "pointer", "all"
MAX_THREADS = 256
OUTPUT_AUTO, OUTPUT_VOICE, OUTPUT_SCREEN_READER, OUTPUT_BOTH = "auto", "voice", "screen_reader", "both"
READER_AUTO, READER_ANNOUNCEMENTS, READER_SPEECH_DISPATCHER = "auto", "announcements", "speech_dispatcher"
MIN_TEXT_SIZE_PERCENT, MAX_TEXT_SIZE_PERCENT = 100, 400  # of the system font: 400% is large print at 9 pt
MIN_VOLUME = 10  # percent: silence is chosen with the output setting, not a volume of zero
COLOURS_SYSTEM, COLOURS_DARK, COLOURS_LIGHT = "system", "high_contrast_dark", "high_contrast_light"


@dataclass(frozen=True)
class Setting:
    key: str
    type: type
    default: Any
    label: str
    description: str
    choices: tuple[str, ...] = ()
    minimum: int = 0
    maximum: int = 0
    special_value: str = ""  # what the spin box shows at `minimum` (for example "Automatic")
    choice_labels: tuple[str, ...] = ()  # what the user sees for each of `choices`, where it is not the value
    suffix: str = ""
    step: int = 1  # how far one press of the up or down arrow moves an int setting

    def tr_label(self) -> str:
        return QCoreApplication.translate("Settings", self.label)

    def tr_description(self) -> str:
        return QCoreApplication.translate("Settings", self.description)


MODEL_FOLDER = Setting("model/folder", str, "", noop("Model folder"), noop(
    "Folder with the converted model files (model-*.gguf and mmproj-*.gguf). "
    "Empty means the default folder in your user data."))
DETAIL = Setting("describe/detail", str, DEFAULT_DETAIL, noop("Detail level"), noop(
    "How long and detailed descriptions are: brief is fastest, detailed reads all visible text."),
    choices=DETAIL_CHOICES, choice_labels=tuple(detail_label(level) for level in DETAIL_CHOICES))
GLANCE_FIRST = Setting("describe/glance_first", bool, True, noop("Glance first, then take a sharper look"), noop(
    "Images are first described from one quick overview, spoken within seconds; then the app looks again "
    "at the most informative parts (on a screen, the active window first; then areas dense with text) at "
    "full resolution, one part at a time, and adds what the glance missed or got wrong. Stop whenever you "
    "have heard enough. Brief detail gives the glance alone. Off: one pass at the chosen detail level."))
MONITORS = Setting("capture/monitors", str, MONITOR_POINTER, noop("Screens to describe"), noop(
    "Describe screen captures the monitor under the mouse pointer, or all monitors together."),
    choices=(MONITOR_POINTER, MONITOR_ALL))
THREADS = Setting("engine/threads", int, 0, noop("Processor threads"), noop(
    "How many processor threads the model uses. 0 means one per physical core, which is usually fastest."),
    minimum=0, maximum=MAX_THREADS, special_value=noop("Automatic"))
DEVICE = Setting("engine/device", str, Device.AUTO.value, noop("Run the model on"), noop(
    "Automatic runs the model on the graphics card (GPU) where the installed llama.cpp was built for one "
    "(Metal on a Mac, CUDA or Vulkan elsewhere), and on the processor otherwise. Processor only never uses "
    "the graphics card, for example when it is needed for something else."),
    choices=DEVICES, choice_labels=(noop("Automatic: the graphics card where there is one"), noop("Processor only")))
LANGUAGE = Setting("describe/language", str, "", noop("Answer language"), noop(
    "The language descriptions and answers are written in, for example English, Chinese or French. "
    "Empty means English."))
SAVE_HISTORY = Setting("history/save", bool, False, noop("Save history to disk"), noop(
    "Keep images and descriptions after the app closes. Off by default for privacy: "
    "history is then kept only until you quit."))
CLOSE_TO_TRAY = Setting("window/close_to_tray", bool, True, noop("Closing the window keeps the app running"), noop(
    "Closing the window leaves the app in the system tray, ready for shortcuts. Quit ends it. "
    "Without a system tray, closing the window always quits."))
OUTPUT = Setting("speech/output", str, OUTPUT_AUTO, noop("Results are read by"), noop(
    "Who reads descriptions aloud as they are written. Automatic uses your screen reader when one is "
    "running and the app's own voice otherwise. The text always stays in the window."),
    choices=(OUTPUT_AUTO, OUTPUT_VOICE, OUTPUT_SCREEN_READER, OUTPUT_BOTH))
READER_CHANNEL = Setting("speech/reader_channel", str, READER_AUTO, noop("How results reach the screen reader"),
                         noop("Automatic sends results as accessibility announcements to screen readers that "
                               "speak them (NVDA, JAWS, Narrator, VoiceOver, Orca 46 and newer), and to Speech "
                               "Dispatcher, the speech service Orca uses, for Orca releases that do not. Where "
                               "neither can speak them, the app's own voice does."),
                         choices=(READER_AUTO, READER_ANNOUNCEMENTS, READER_SPEECH_DISPATCHER),
                         choice_labels=(noop("Automatic: what the running screen reader can speak"),
                                        noop("Accessibility announcements"), noop("Speech Dispatcher (Linux)")))
VOICE = Setting("speech/voice", str, "", noop("Voice"), noop(
    "The app's own voice. Empty means the system's default voice."))
RATE = Setting("speech/rate", int, DEFAULT_RATE_WPM, noop("Speaking rate"), noop(
    "How fast the app's own voice speaks, in words per minute (200 is pyttsx3's usual rate)."),
    minimum=MIN_RATE_WPM, maximum=MAX_RATE_WPM, suffix=noop(" words per minute"))
VOLUME = Setting("speech/volume", int, 100, noop("Volume"), noop(
    "How loud the app's own voice is, in percent."), minimum=MIN_VOLUME, maximum=100, suffix="%")
DESCRIPTION_TEXT_SIZE = Setting("view/description_text_size", int, 130, noop("Description text size"), noop(
    "How large the description text is, in percent of the system's text size (the system's own text "
    "scaling applies as well). Changes show at once."),
    minimum=MIN_TEXT_SIZE_PERCENT, maximum=MAX_TEXT_SIZE_PERCENT, suffix="%", step=10)
COLOURS = Setting("view/colours", str, COLOURS_SYSTEM, noop("Colours"), noop(
    "Follow the system keeps your desktop's colours, a high-contrast theme included. High contrast, dark shows "
    "white text on black with yellow highlights; high contrast, light shows black text on white with dark blue "
    "highlights. Changes show at once in every window of the app."),
    choices=(COLOURS_SYSTEM, COLOURS_DARK, COLOURS_LIGHT),
    choice_labels=(noop("Follow the system"), noop("High contrast, dark"), noop("High contrast, light")))
EARCONS = Setting("speech/earcons", bool, True, noop("Play a short tone when work starts and when something fails"),
                  noop("A rising tone when a description starts, a falling one when something goes wrong."))
COPY_RESULTS = Setting("describe/copy_results", bool, False, noop("Copy each result to the clipboard"), noop(
    "When a description or answer is complete, put its text on the clipboard, ready to paste elsewhere."))

ALL_SETTINGS: tuple[Setting, ...] = (MODEL_FOLDER, DETAIL, GLANCE_FIRST, MONITORS, THREADS, DEVICE, LANGUAGE,
                                     DESCRIPTION_TEXT_SIZE, COLOURS, OUTPUT, READER_CHANNEL, VOICE, RATE, VOLUME,
                                     EARCONS, COPY_RESULTS, SAVE_HISTORY, CLOSE_TO_TRAY)
ENGINE_SETTINGS = (MODEL_FOLDER, THREADS, DEVICE)  # the engine starts with these: a change restarts it
# The global shortcuts are declared in app/hotkeys/settings.py (HOTKEY_SETTINGS), beside the actions.


def _upgrade_to_2(store: QSettings) -> None:
    """Version 1 had "speech/enabled"; off meant "results go to the screen reader only"."""
    enabled = store.value("speech/enabled")
    if enabled is not None and str(enabled).strip().lower() in ("false", "0", "no", "off"):
        store.setValue(OUTPUT.key, OUTPUT_SCREEN_READER)
    store.remove("speech/enabled")



# version -> step that upgrades a file at version-1 to it. Version 1 is the first schema:
# an unversioned file is simply stamped (there are no older keys to move).
UPGRADES: dict[int, Callable[[QSettings], None]] = {1: lambda store: None, 2: _upgrade_to_2}


def _parse(setting: Setting, raw: Any) -> Any:
    """A stored value as the setting's type, or the default if it cannot be read as one."""
    if raw is None:
        return setting.default
    try:
        if setting.type is bool:
            if isinstance(raw, bool):
                return raw
            text = str(raw).strip().lower()
            if text in ("true", "1", "yes", "on"):
                return True
            if text in ("false", "0", "no", "off"):
                return False
            return setting.default
        if setting.type is int:
            value = int(str(raw).strip())
            if setting.maximum and not setting.minimum <= value <= setting.maximum:
                return setting.default
            return value
        value = str(raw)
    except (TypeError, ValueError):
        return setting.default
    if setting.choices and value not in setting.choices:
        return setting.default
    return value


class Settings(QObject):
    """Typed access to the declared settings; `changed(key)` fires after each write."""

    changed = Signal(str)

    def __init__(self, path: Path | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self.path = Path(path) if path is not None else settings_path()
        private_folder(self.path.parent)
        create_private(self.path)  # QSettings keeps an existing file's mode when it rewrites it
        self._store = QSettings(str(self.path), QSettings.Format.IniFormat)
        self._upgrade()

    def _upgrade(self) -> None:
        version = _parse(Setting(VERSION_KEY, int, 0, "", ""), self._store.value(VERSION_KEY))
        for step in range(version + 1, SCHEMA_VERSION + 1):
            UPGRADES[step](self._store)
            self._store.setValue(VERSION_KEY, step)
        self._store.sync()

    def get(self, setting: Setting) -> Any:
        return _parse(setting, self._store.value(setting.key))

    def set(self, setting: Setting, value: Any) -> None:
        value = setting.type(value)
        if setting.choices and value not in setting.choices:
            raise ValueError(f"{setting.key} must be one of {', '.join(setting.choices)}")
        if setting.type is int and setting.maximum and not setting.minimum <= value <= setting.maximum:
            raise ValueError(f"{setting.key} must be from {setting.minimum} to {setting.maximum}")
        if self.get(setting) == value and self._store.contains(setting.key):
            return
        self._store.setValue(setting.key, value)
        self._store.sync()
        self.changed.emit(setting.key)

    def flush(self) -> None:
        """Write anything QSettings still holds in memory (every set() already syncs)."""
        self._store.sync()

    def schema_version(self) -> int:
        return int(self._store.value(VERSION_KEY, 0))
