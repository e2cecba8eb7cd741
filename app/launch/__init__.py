"""Starting the app: the command line, the one running instance per user and its socket, quit signals."""
