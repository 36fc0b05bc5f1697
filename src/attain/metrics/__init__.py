"""Team performance: attainment, pacing, coverage, classification, goals and early warnings."""
