"""Renderings of core results for people and tools: JSON, CSV, Markdown and HTML."""
