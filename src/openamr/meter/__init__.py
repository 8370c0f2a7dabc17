"""The MT372 meter twin: its object list, associations and (later) behaviour."""
