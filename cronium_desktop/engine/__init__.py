"""The engine: everything Cronium Desktop does, with no Qt. The UI and the CLI use `Engine`."""

from cronium_desktop.engine.on_first_use import load_on_first_use

# SSH (paramiko, and through it bcrypt, PyNaCl and invoke) is some 20 MB and 100+ ms of start-up
# that only a folder with servers uses: it loads when a server is first reached.
load_on_first_use("paramiko")
