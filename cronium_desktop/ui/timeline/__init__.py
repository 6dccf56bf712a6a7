"""The Timeline page: coming runs of every schedule and past runs on one zoomable time axis."""
