"""Inference (L4): the checked model's rules, run.

- `compiler`: rules to durable_rules' JSON rulesets (conditions folded into
  the facts that feed them; `compiled_for` once per model);
- `facts`: a profile to the one flat fact durable reads (`FactEncoder`);
- `rete`: `DurableSession`, the only module that imports durable_rules;
- `reference`: the plain-Python evaluator of the same rules, the oracle;
- `implications`: facts the articles imply, applied before inference.
"""
