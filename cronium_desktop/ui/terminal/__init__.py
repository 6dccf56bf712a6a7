"""The SSH terminal (SPEC §6, §10): screen model, terminal widget, shell session and the Terminal page."""
