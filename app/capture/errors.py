"""The one error every image source raises: a plain sentence that is shown and announced."""


class CaptureError(Exception):
    """Why nothing could be captured, and what to do, in plain words."""
