"""Widgets: the main window, its pages and dialogs, the tray icon."""
