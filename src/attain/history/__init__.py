"""The store's history: data versions, deals and reps as they stood, and what changed."""
