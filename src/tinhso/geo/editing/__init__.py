"""Editing features in the browser with history, exporting a selection, printing a map view."""
