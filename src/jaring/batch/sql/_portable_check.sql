-- Age in completed years on the date :on, from a DATE birth_date: the portable expression of
-- docs/batch.md (tests/batch runs it on DuckDB and Spark). A birthday not reached yet this
-- year takes one year off; someone born on 29 February completes a year on 1 March in a
-- common year. Not date_diff('year', …): DuckDB counts year boundaries crossed.
SELECT
    nik_index,
    birth_date,
    CAST(
        year(:on) - year(birth_date)
        - CASE WHEN month(birth_date) * 100 + day(birth_date) > month(:on) * 100 + day(:on) THEN 1 ELSE 0 END
        AS INTEGER
    ) AS age
FROM persons
ORDER BY nik_index
