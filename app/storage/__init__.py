"""What the app keeps on disk: settings, history, the folders, and files private to the user."""
