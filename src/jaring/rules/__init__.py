"""The Jamsostek regulations as effective-dated code.

`engine` loads one YAML file per legal quantity and answers "what was in force
on this date"; `formulas` compute contributions and benefits over numpy arrays;
`calculators` wrap those formulas for one person.
"""
