"""Recovery and secret-rotation drills against a deployed stack, each a Drill (harness.drills.results)."""
