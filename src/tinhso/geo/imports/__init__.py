"""Importing agencies' files into map layers: formats, CRS, encodings, repair, progress."""
