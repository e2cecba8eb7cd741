"""Image sources: screen, active window, clipboard, files and drops (the camera is in app/ui)."""
