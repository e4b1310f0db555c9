"""Pure, vectorised formulas: numpy arrays in (one element per person or member-month),
integer Rupiah arrays out. Which parameter values apply is decided per element by date."""
