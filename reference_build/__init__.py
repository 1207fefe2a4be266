"""Scripts that turn public source files into `impact` reference data packages.

They are kept with the project but are not part of the installed library: an analyst never runs
them, a maintainer does when a source is updated.
"""
