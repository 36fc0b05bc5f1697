"""Synthetic demo organisations with planted causes: `generate(DemoSpec(...), out_dir)`."""

from attain.demo.config import DEFAULT_AS_OF, DemoSpec
from attain.demo.generator import Progress, TableStep, generate
from attain.demo.truth import PlantedCause, Truth
from attain.diagnosis.finding import CAUSES

__all__ = [
    "CAUSES",
    "DEFAULT_AS_OF",
    "DemoSpec",
    "PlantedCause",
    "Progress",
    "TableStep",
    "Truth",
    "generate",
]
