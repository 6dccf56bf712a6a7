"""The engine: everything Cronium Desktop does, with no Qt. The UI and the CLI use `Engine`."""
