"""Recovery and secret-rotation drills against a deployed stack, as plain functions returning DrillReports."""
