"""The socio-economic registry: snapshot import and validation, snapshot diff, synthetic generator."""
