"""The rehearsal suite: deployment steps and smoke checks, run by the harness plugin against one deployed stack."""
