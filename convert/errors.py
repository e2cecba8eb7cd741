"""The one exception type the converter raises for problems the user can fix."""


class ConversionError(Exception):
    """A plain-language message for the user; never carries a traceback to them."""
