"""Every command of the app, declared once: the window's actions, the global shortcuts and the
commands a second launch forwards are all read from COMMANDS (as Orca keeps one table of
its commands and derives its key bindings from it).

No Qt here: main.py's parser and the launcher import it. Texts are marked, not translated:
app/ui/actions.py translates the window's in Qt's "Actions" context, app/hotkeys/actions.py the
global shortcuts' in "Hotkeys" (app/hotkeys/texts.py).

Global-shortcut defaults use Control + Alt + Shift and a letter (Command + Option + Shift on macOS):
- never Insert or Caps Lock (the NVDA, JAWS and Orca keys) nor the Windows/Super key;
- not Control + Alt + letter alone, which many screen readers and Windows keyboard layouts
  use (AltGr is Control + Alt on Windows, so Ctrl+Alt+letter types characters there);
- not Ctrl+Alt+Shift+R: GNOME records a screencast with it (GNOME Settings, Keyboard
  Shortcuts, Screenshots); Read text takes Ctrl+Alt+Shift+T ("text") instead.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.ui.marked import noop


@dataclass(frozen=True)
class StandardKey:
    """One of Qt's platform key bindings by its QKeySequence.StandardKey name ("Open": Ctrl+O, Cmd+O)."""
    name: str


@dataclass(frozen=True)
class WindowAction:
    """The command in the window's menus, buttons and tray, with the keys that work while it has focus."""
    label: str  # with its & mnemonic
    tip: str
    keys: tuple[str | StandardKey, ...] = ()  # portable text ("Ctrl+1") or a platform binding


@dataclass(frozen=True)
class GlobalShortcut:
    """The command on a desktop-wide key; `id` names its settings ("hotkeys/<id>/keys")."""
    id: str
    label: str
    description: str
    default_keys: str  # portable text, see app.hotkeys.combo
    shows_window: bool = False  # pressed in another app, it brings our window up (the rest never do)


@dataclass(frozen=True)
class Forwarded:
    """The command as a second launch hands it over: {"command": name, ...} on the instance socket."""
    name: str
    sources: tuple[str, ...] = ()  # the values its "source" field takes (none: it has no source)
    source: str = ""  # this command's own source among them
    has_path: bool = False  # it carries an absolute "path"
    option_help: str = ""  # main.py's `--<name>` option's help (none: main.py has no option for it)

    @property
    def option(self) -> str:
        return f"--{self.name}" if self.option_help else ""

    @property
    def cli_args(self) -> tuple[str, ...]:
        """The `main.py` arguments that forward exactly this command (a desktop shortcut's command line)."""
        if not self.option or self.has_path:
            return ()
        return (self.option, self.source) if self.source else (self.option,)


@dataclass(frozen=True)
class Command:
    id: str  # the QAction's object name
    window: WindowAction | None = None
    hotkey: GlobalShortcut | None = None
    forwarded: Forwarded | None = None


CAPTURE_SOURCES = ("screen", "window", "clipboard")  # what `--describe` captures


def _describe(source: str) -> Forwarded:
    return Forwarded("describe", CAPTURE_SOURCES, source,
                     option_help="describe the screen, the active window or the clipboard image in the running app "
                                 "(starting it if needed); bind this to a desktop shortcut")


def _read(source: str) -> Forwarded:
    return Forwarded("read", CAPTURE_SOURCES, source,
                     option_help="read the text of the screen, the active window or the clipboard image aloud in "
                                 "the running app (starting it if needed); bind this to a desktop shortcut")


COMMANDS: tuple[Command, ...] = (
    Command("describe_screen",
            WindowAction(noop("Describe &screen"), noop("Capture the screen and describe it"), ("Ctrl+1",)),
            GlobalShortcut("describe_screen", noop("Describe the screen"),
                           noop("Describes everything on the screen."), "Ctrl+Alt+Shift+D"),
            _describe("screen")),
    Command("describe_window",
            WindowAction(noop("Describe active &window"), noop("Describe the window you were using before this one"),
                         ("Ctrl+2",)),
            GlobalShortcut("describe_window", noop("Describe the active window"),
                           noop("Describes the window you are working in."), "Ctrl+Alt+Shift+W"),
            _describe("window")),
    Command("describe_clipboard",
            WindowAction(noop("Describe &clipboard image"), noop("Describe the image, or image file, on the clipboard"),
                         ("Ctrl+3", "Ctrl+V")),
            GlobalShortcut("describe_clipboard", noop("Describe the clipboard"),
                           noop("Describes the image you copied."), "Ctrl+Alt+Shift+C"),
            _describe("clipboard")),
    Command("open_image",  # in the window a file dialog; forwarded with the file's path
            WindowAction(noop("&Open image..."), noop("Choose an image file to describe"), (StandardKey("Open"),)),
            forwarded=Forwarded("describe-file", has_path=True,
                                option_help="describe an image file in the running app")),
    Command("camera", WindowAction(noop("C&amera..."), noop("Take a picture with a camera and describe it"),
                                   ("Ctrl+4",))),
    Command("read_screen",
            WindowAction(noop("Read text on &screen"), noop("Capture the screen and read its text exactly, line by line"),
                         ("Ctrl+5",)),
            GlobalShortcut("read_screen", noop("Read the text on the screen"),
                           noop("Reads the text on the screen exactly, line by line."), "Ctrl+Alt+Shift+T"),
            _read("screen")),
    Command("read_window",
            WindowAction(noop("Read text in active &window"), noop("Read the text of the window you were using "
                                                                   "before this one"), ("Ctrl+6",)),
            forwarded=_read("window")),
    Command("read_clipboard",
            WindowAction(noop("Read text in &clipboard image"), noop("Read the text of the image, or image file, "
                                                                     "on the clipboard"), ("Ctrl+7",)),
            forwarded=_read("clipboard")),
    Command("read_file",  # in the window a file dialog; forwarded with the file's path
            WindowAction(noop("Read text in image &file..."), noop("Choose an image file and read its text")),
            forwarded=Forwarded("read-file", has_path=True, option_help="read the text of an image file aloud in "
                                                                        "the running app")),
    Command("read_camera", WindowAction(noop("Read text with c&amera..."),
                                        noop("Take a picture with a camera and read its text"))),
    Command("describe_again", WindowAction(noop("Describe a&gain"),
                                           noop("Describe the current image again, with the current detail level"),
                                           ("Ctrl+R",))),
    Command("stop", WindowAction(noop("S&top"), noop("Stop describing and speaking"), ("Escape",)),
            GlobalShortcut("stop", noop("Stop"), noop("Stops the description being written and silences speech."),
                           "Ctrl+Alt+Shift+S"),
            Forwarded("stop", option_help="stop the running app's description and speech")),
    Command("repeat_last", hotkey=GlobalShortcut("repeat_last", noop("Repeat the last description"),
                                                 noop("Reads the last description again."), "Ctrl+Alt+Shift+L")),
    Command("copy", WindowAction(noop("Co&py description"), noop("Copy the description and answers to the clipboard"),
                                 ("Ctrl+Shift+C",))),
    Command("ask", WindowAction(noop("As&k a question"), noop("Move to the question box to ask about the current image"),
                                ("Ctrl+L",)),
            GlobalShortcut("ask_followup", noop("Ask a follow-up question"),
                           noop("Opens the question box to ask about the last picture."), "Ctrl+Alt+Shift+A",
                           shows_window=True)),
    Command("show_history", WindowAction(noop("&History"),
                                         noop("Move to the list of this session's images and descriptions"),
                                         ("Ctrl+H",))),
    Command("show_description", WindowAction(noop("&Description"), noop("Move to the description text"), ("Ctrl+D",))),
    Command("clear_history", WindowAction(noop("C&lear history"),
                                          noop("Forget all images and descriptions, including saved ones"))),
    Command("settings", WindowAction(noop("S&ettings..."),
                                     noop("Change the model folder, detail level, language and other settings"),
                                     (StandardKey("Preferences"), "Ctrl+,"))),
    Command("setup_model", WindowAction(noop("Set up &model..."), noop("Choose or convert the model files"))),
    Command("shortcuts_help", WindowAction(noop("&Keyboard shortcuts"), noop("List the keyboard shortcuts"), ("F1",))),
    Command("show_window", WindowAction(noop("Show &window"), noop("Show the main window")),
            forwarded=Forwarded("show")),
    Command("quit", WindowAction(noop("&Quit"), noop("Quit the app and stop the model"),
                                 (StandardKey("Quit"), "Ctrl+Q"))),
    Command("status", forwarded=Forwarded("status")),  # the instance server answers it itself
)

BY_HOTKEY: dict[str, Command] = {c.hotkey.id: c for c in COMMANDS if c.hotkey}
# By name: "describe", "describe-file", "read", "read-file", "stop", "show", "status" (the describe
# rows share theirs, and so do the read rows).
FORWARDED: dict[str, Forwarded] = {c.forwarded.name: c.forwarded for c in COMMANDS if c.forwarded}
OPTIONS: tuple[Forwarded, ...] = tuple(f for f in FORWARDED.values() if f.option)  # main.py's app options


def forwarded_command(request: dict) -> Command | None:
    """The command a valid forwarded request names (its source picks among the describe or read commands)."""
    for command in COMMANDS:
        forwarded = command.forwarded
        if forwarded and forwarded.name == request.get("command") and forwarded.source == request.get("source", ""):
            return command
    return None
