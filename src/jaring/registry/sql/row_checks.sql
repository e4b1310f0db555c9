-- One output row per input row, in file order (scan and projection only, so DuckDB keeps
-- the order and the caller can number the rows). Normalises the fields and parses the
-- dates and numbers; digit checks, set membership (known regions, duplicate NIKs) and the
-- choice of the first rejection reason are done by the caller on Arrow batches.
-- Parameters: $ref_ymd INTEGER (snapshot date as YYYYMMDD). Relation `source`: all VARCHAR.
-- Macros: yymmdd_date(yy, m, d, ref_ymd).
WITH t AS (
    SELECT
        nik AS raw_nik, kk_number AS raw_kk_number, name AS raw_name, sex AS raw_sex,
        birth_date AS raw_birth_date, village_code AS raw_village_code,
        relationship AS raw_relationship, employment_status AS raw_employment_status,
        occupation AS raw_occupation, desil AS raw_desil, deceased AS raw_deceased,
        jamsostek AS raw_jamsostek,
        trim(nik) AS nik,
        trim(kk_number) AS kk,
        trim(name) AS name,
        lower(trim(sex)) AS sex_in,
        trim(birth_date) AS birth_in,
        replace(trim(village_code), '.', '') AS village,
        trim(relationship) AS relationship_in,
        trim(employment_status) AS employment_in,
        lower(trim(occupation)) AS occupation,
        trim(desil) AS desil_in,
        lower(trim(deceased)) AS deceased_in,
        trim(jamsostek) AS jamsostek_in
    FROM source
)
SELECT
    raw_nik, raw_kk_number, raw_name, raw_sex, raw_birth_date, raw_village_code, raw_relationship,
    raw_employment_status, raw_occupation, raw_desil, raw_deceased, raw_jamsostek,
    nik, kk, name, village, occupation,
    CASE sex_in WHEN '1' THEN 'M' WHEN 'l' THEN 'M' WHEN 'm' THEN 'M'
                WHEN '2' THEN 'F' WHEN 'p' THEN 'F' WHEN 'f' THEN 'F' END AS sex,
    CASE WHEN length(birth_in) = 10 AND substr(birth_in, 5, 1) = '-' AND substr(birth_in, 8, 1) = '-'
         THEN TRY_CAST(birth_in AS DATE) END AS birth_date,
    CAST(CASE WHEN relationship_in IN ('1', '2', '3', '4', '5', '6', '7', '8')
              THEN relationship_in END AS TINYINT) AS relationship,
    CAST(CASE WHEN employment_in IN ('0', '1', '2', '3', '4', '5', '6', '7', '8')
              THEN employment_in END AS TINYINT) AS employment_status,
    CAST(CASE WHEN desil_in IN ('1', '2', '3', '4', '5', '6', '7', '8', '9', '10')
              THEN desil_in END AS TINYINT) AS desil,
    CASE WHEN deceased_in IN ('1', 'true') THEN true WHEN deceased_in IN ('0', 'false') THEN false END
        AS deceased,
    CAST(CASE WHEN jamsostek_in IN ('0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12',
                                     '13', '14', '15', '16', '17', '18', '19', '20', '21', '22', '23',
                                     '24', '25', '26', '27', '28', '29', '30', '31', '99')
              THEN jamsostek_in END AS TINYINT) AS jamsostek,
    coalesce(jamsostek_in, '') = '' AS jamsostek_missing,
    coalesce(desil_in, '') = '' AS desil_missing,
    -- numbers for set membership; NULL when not all digits (the caller checks digits first)
    CASE WHEN length(nik) = 16 THEN TRY_CAST(nik AS BIGINT) END AS nik_number,
    TRY_CAST(substr(nik, 1, 6) AS INTEGER) AS nik_region,
    TRY_CAST(substr(kk, 1, 6) AS INTEGER) AS kk_region,
    CASE WHEN length(village) = 10 THEN TRY_CAST(village AS BIGINT) END AS village_number,
    -- dates inside the numbers
    yymmdd_date(TRY_CAST(substr(nik, 11, 2) AS INTEGER), TRY_CAST(substr(nik, 9, 2) AS INTEGER),
                TRY_CAST(substr(nik, 7, 2) AS INTEGER) % 40, $ref_ymd) AS nik_birth_date,
    CASE WHEN TRY_CAST(substr(nik, 7, 2) AS INTEGER) > 40 THEN 'F' ELSE 'M' END AS nik_sex,
    TRY_CAST(substr(nik, 7, 2) AS INTEGER) BETWEEN 1 AND 71
        AND TRY_CAST(substr(nik, 7, 2) AS INTEGER) NOT BETWEEN 32 AND 40 AS nik_day_ok,
    yymmdd_date(TRY_CAST(substr(kk, 11, 2) AS INTEGER), TRY_CAST(substr(kk, 9, 2) AS INTEGER),
                TRY_CAST(substr(kk, 7, 2) AS INTEGER), $ref_ymd) AS kk_recorded_on
FROM t
