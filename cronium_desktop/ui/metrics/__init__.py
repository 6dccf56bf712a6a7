"""What runs cost, in the window: a run's figures and phase bar, an event's trend, the week's heaviest events."""
