"""The head-end: inventory, storage, scheduling and collection of many meters
(issue 13), above the client (``openamr.client``); never imports the twin."""
