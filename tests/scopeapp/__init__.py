"""A test-only app with place-bound records, for the permission layer's scope tests."""
