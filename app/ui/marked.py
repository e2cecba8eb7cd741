"""`noop(text)` marks a string for Qt's translation where it is declared (QT_TRANSLATE_NOOP's job in
C++); the code that shows it translates it, in its own context. No Qt here: app/commands.py's table,
which main.py's parser reads, uses it too."""


def noop(text: str) -> str:
    return text
