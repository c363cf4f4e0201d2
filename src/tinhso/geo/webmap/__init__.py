"""The web map and the layer catalogue pages under ``/map/``."""
