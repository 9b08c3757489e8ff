"""pmpath's inference rules, shipped as YAML data (see README, "Rules")."""
