"""The command line and what it runs: the server, key and tenant commands, the importers
and the demo."""
