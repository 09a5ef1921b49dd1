"""The app's presentation layer: figures, controls and cached calls into the core."""
