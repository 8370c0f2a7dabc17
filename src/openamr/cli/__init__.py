"""The ``openamr`` command line."""
