"""pmpath's command line: thin click commands over the `pmpath` library."""
