#!/usr/bin/env python3
"""Parses a /metrics text with the Prometheus Python client's own parser and prints every sample
as one JSON object: {"samples": [{"name", "labels", "value"}], "types": {family: type}}.
The parser raises on anything that is not valid Prometheus text; then this exits 1 with why."""
import json
import sys

from prometheus_client.parser import text_string_to_metric_families


def main():
    text = open(sys.argv[1], encoding="utf-8").read()
    samples, types = [], {}
    try:
        for family in text_string_to_metric_families(text):
            types[family.name] = family.type
            for s in family.samples:
                samples.append({"name": s.name, "labels": s.labels, "value": s.value})
    except Exception as error:  # the client says what it could not parse
        print(f"not valid Prometheus text: {error}", file=sys.stderr)
        return 1
    print(json.dumps({"samples": samples, "types": types}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
