"""The ``metalnet`` command line: an HTTP client of the metalnet API (plus ``metalnet serve``)."""
