"""Geometry storage, CRS handling and boundary import.

This package is the only place that knows whether geometry lives in SQLite (WKB in a
blob column, bounding-box columns, shapely and pyproj in Python) or in PostGIS (typed
geometry columns with GiST indexes and ST_* SQL). Domain apps call :mod:`tinhso.geo.storage`.
"""
