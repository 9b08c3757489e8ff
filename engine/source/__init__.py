"""Sources (L1): reading what pmpath is given.

- `documents`: bounded YAML and JSON reading with a line map, no tags, no
  aliases bombs, no duplicate keys;
- `schemas`: the shipped JSON Schemas (``pmpath/schemas/*.json``), their fast
  and their explaining validators, and the one wording of a schema error;
- `data`: knowledge and rules directories, their files, the content hash.
"""

from pmpath.source import schemas

__all__ = ["schemas"]
