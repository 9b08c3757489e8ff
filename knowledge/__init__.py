"""pmpath's career-path knowledge, shipped as YAML data (see README, "Knowledge")."""
