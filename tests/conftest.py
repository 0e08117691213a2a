"""pytest configuration shared by the test files."""

# tests/data holds fixtures and the scripts that made them (one needs irrCAC, which the test
# environment does not install): not test modules.
collect_ignore = ["data"]
