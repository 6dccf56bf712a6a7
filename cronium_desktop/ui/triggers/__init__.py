"""The Triggers section (file changes, login, conditions, catch-up) shared by the event editor and the
workflow's settings: `section.py` edits them, each also said in words."""
