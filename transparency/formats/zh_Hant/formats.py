"""Traditional Chinese as Hong Kong writes numbers: thousands grouped by three with a comma
(Django's own zh_Hant groups by four without a separator, which a Hong Kong reader does not).
Everything else comes from Django's zh_Hant formats."""

DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
