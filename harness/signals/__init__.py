"""The signals phase: the nine monitoring signals of Kernia's infrastructure guide driven by real faults (faults),
read back from a real Prometheus evaluating the project's rules with rehearsal timing (rules, phase), and shown in
the report (table)."""
