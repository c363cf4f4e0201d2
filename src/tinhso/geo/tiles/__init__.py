"""Mapbox Vector Tiles of the map layers under ``/tiles/``, with TileJSON, style and cache."""
