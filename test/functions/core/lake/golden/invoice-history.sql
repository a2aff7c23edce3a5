WITH e0 AS (
  SELECT c.*, CASE WHEN c."_origin" IN ('getDeleted', 'reconcile') THEN 2 WHEN c."_origin" IN ('formula', 'backfill') THEN 1 ELSE 0 END AS "_class"
  FROM "invoice__c_changes" AS c
  WHERE c."systemmodstamp" IS NOT NULL
), e AS (
  SELECT e0.*, row_number() OVER (PARTITION BY e0."id" ORDER BY e0."systemmodstamp", e0."_class", e0."run") AS "_n"
  FROM e0
), held AS (
  SELECT e."id", e."systemmodstamp" AS "_at", e."_class", e."_n", e."isdeleted", e."ownerid", e."createddate", e."createdbyid", e."lastmodifieddate", e."lastmodifiedbyid", e."systemmodstamp", e."name", e."erp_id__c", e."account__c", e."amount__c", e."due_date__c", e."paid__c", e."status__c", e."notes__c", e."quantity__c", e."days_overdue__c", e."account_rating__c", e."tags__c", e."issued_at__c", e."contact_email__c", e."discount__c", e."payment_link__c", e."billing_phone__c",
    max(CASE WHEN e."_class" = 0 OR (e."_origin" = 'backfill' AND e."isdeleted" IS NOT NULL) THEN e."_n" END) OVER (PARTITION BY e."id" ORDER BY e."_n" ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS "_h0",
    max(CASE WHEN e."_class" = 0 OR (e."_origin" = 'backfill' AND e."ownerid" IS NOT NULL) THEN e."_n" END) OVER (PARTITION BY e."id" ORDER BY e."_n" ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS "_h1",
    max(CASE WHEN e."_class" = 0 OR (e."_origin" = 'backfill' AND e."createddate" IS NOT NULL) THEN e."_n" END) OVER (PARTITION BY e."id" ORDER BY e."_n" ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS "_h2",
    max(CASE WHEN e."_class" = 0 OR (e."_origin" = 'backfill' AND e."createdbyid" IS NOT NULL) THEN e."_n" END) OVER (PARTITION BY e."id" ORDER BY e."_n" ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS "_h3",
    max(CASE WHEN e."_class" = 0 OR (e."_origin" = 'backfill' AND e."lastmodifieddate" IS NOT NULL) THEN e."_n" END) OVER (PARTITION BY e."id" ORDER BY e."_n" ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS "_h4",
    max(CASE WHEN e."_class" = 0 OR (e."_origin" = 'backfill' AND e."lastmodifiedbyid" IS NOT NULL) THEN e."_n" END) OVER (PARTITION BY e."id" ORDER BY e."_n" ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS "_h5",
    max(CASE WHEN e."_class" = 0 THEN e."_n" END) OVER (PARTITION BY e."id" ORDER BY e."_n" ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS "_h6",
    max(CASE WHEN e."_class" = 0 OR (e."_origin" = 'backfill' AND e."name" IS NOT NULL) THEN e."_n" END) OVER (PARTITION BY e."id" ORDER BY e."_n" ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS "_h7",
    max(CASE WHEN e."_class" = 0 OR (e."_origin" = 'backfill' AND e."erp_id__c" IS NOT NULL) THEN e."_n" END) OVER (PARTITION BY e."id" ORDER BY e."_n" ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS "_h8",
    max(CASE WHEN e."_class" = 0 OR (e."_origin" = 'backfill' AND e."account__c" IS NOT NULL) THEN e."_n" END) OVER (PARTITION BY e."id" ORDER BY e."_n" ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS "_h9",
    max(CASE WHEN e."_class" = 0 OR (e."_origin" = 'backfill' AND e."amount__c" IS NOT NULL) THEN e."_n" END) OVER (PARTITION BY e."id" ORDER BY e."_n" ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS "_h10",
    max(CASE WHEN e."_class" = 0 OR (e."_origin" = 'backfill' AND e."due_date__c" IS NOT NULL) THEN e."_n" END) OVER (PARTITION BY e."id" ORDER BY e."_n" ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS "_h11",
    max(CASE WHEN e."_class" = 0 OR (e."_origin" = 'backfill' AND e."paid__c" IS NOT NULL) THEN e."_n" END) OVER (PARTITION BY e."id" ORDER BY e."_n" ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS "_h12",
    max(CASE WHEN e."_class" = 0 OR (e."_origin" = 'backfill' AND e."status__c" IS NOT NULL) THEN e."_n" END) OVER (PARTITION BY e."id" ORDER BY e."_n" ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS "_h13",
    max(CASE WHEN e."_class" = 0 OR (e."_origin" = 'backfill' AND e."notes__c" IS NOT NULL) THEN e."_n" END) OVER (PARTITION BY e."id" ORDER BY e."_n" ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS "_h14",
    max(CASE WHEN e."_class" = 0 OR (e."_origin" = 'backfill' AND e."quantity__c" IS NOT NULL) THEN e."_n" END) OVER (PARTITION BY e."id" ORDER BY e."_n" ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS "_h15",
    max(CASE WHEN e."_class" = 0 OR e."_origin" = 'formula' OR (e."_origin" = 'backfill' AND e."days_overdue__c" IS NOT NULL) THEN e."_n" END) OVER (PARTITION BY e."id" ORDER BY e."_n" ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS "_h16",
    max(CASE WHEN e."_class" = 0 OR e."_origin" = 'formula' OR (e."_origin" = 'backfill' AND e."account_rating__c" IS NOT NULL) THEN e."_n" END) OVER (PARTITION BY e."id" ORDER BY e."_n" ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS "_h17",
    max(CASE WHEN e."_class" = 0 OR (e."_origin" = 'backfill' AND e."tags__c" IS NOT NULL) THEN e."_n" END) OVER (PARTITION BY e."id" ORDER BY e."_n" ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS "_h18",
    max(CASE WHEN e."_class" = 0 OR (e."_origin" = 'backfill' AND e."issued_at__c" IS NOT NULL) THEN e."_n" END) OVER (PARTITION BY e."id" ORDER BY e."_n" ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS "_h19",
    max(CASE WHEN e."_class" = 0 OR (e."_origin" = 'backfill' AND e."contact_email__c" IS NOT NULL) THEN e."_n" END) OVER (PARTITION BY e."id" ORDER BY e."_n" ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS "_h20",
    max(CASE WHEN e."_class" = 0 OR (e."_origin" = 'backfill' AND e."discount__c" IS NOT NULL) THEN e."_n" END) OVER (PARTITION BY e."id" ORDER BY e."_n" ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS "_h21",
    max(CASE WHEN e."_class" = 0 OR (e."_origin" = 'backfill' AND e."payment_link__c" IS NOT NULL) THEN e."_n" END) OVER (PARTITION BY e."id" ORDER BY e."_n" ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS "_h22",
    max(CASE WHEN e."_class" = 0 OR (e."_origin" = 'backfill' AND e."billing_phone__c" IS NOT NULL) THEN e."_n" END) OVER (PARTITION BY e."id" ORDER BY e."_n" ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS "_h23"
  FROM e
), versions AS (
  SELECT h."id", h."_at", h."_n", h."_class",
    CASE WHEN h."_h0" IS NULL THEN NULL ELSE first_value(h."isdeleted") OVER (PARTITION BY h."id", h."_h0" ORDER BY h."_n") END AS "isdeleted",
    CASE WHEN h."_h1" IS NULL THEN NULL ELSE first_value(h."ownerid") OVER (PARTITION BY h."id", h."_h1" ORDER BY h."_n") END AS "ownerid",
    CASE WHEN h."_h2" IS NULL THEN NULL ELSE first_value(h."createddate") OVER (PARTITION BY h."id", h."_h2" ORDER BY h."_n") END AS "createddate",
    CASE WHEN h."_h3" IS NULL THEN NULL ELSE first_value(h."createdbyid") OVER (PARTITION BY h."id", h."_h3" ORDER BY h."_n") END AS "createdbyid",
    CASE WHEN h."_h4" IS NULL THEN NULL ELSE first_value(h."lastmodifieddate") OVER (PARTITION BY h."id", h."_h4" ORDER BY h."_n") END AS "lastmodifieddate",
    CASE WHEN h."_h5" IS NULL THEN NULL ELSE first_value(h."lastmodifiedbyid") OVER (PARTITION BY h."id", h."_h5" ORDER BY h."_n") END AS "lastmodifiedbyid",
    CASE WHEN h."_h6" IS NULL THEN NULL ELSE first_value(h."systemmodstamp") OVER (PARTITION BY h."id", h."_h6" ORDER BY h."_n") END AS "systemmodstamp",
    CASE WHEN h."_h7" IS NULL THEN NULL ELSE first_value(h."name") OVER (PARTITION BY h."id", h."_h7" ORDER BY h."_n") END AS "name",
    CASE WHEN h."_h8" IS NULL THEN NULL ELSE first_value(h."erp_id__c") OVER (PARTITION BY h."id", h."_h8" ORDER BY h."_n") END AS "erp_id__c",
    CASE WHEN h."_h9" IS NULL THEN NULL ELSE first_value(h."account__c") OVER (PARTITION BY h."id", h."_h9" ORDER BY h."_n") END AS "account__c",
    CASE WHEN h."_h10" IS NULL THEN NULL ELSE first_value(h."amount__c") OVER (PARTITION BY h."id", h."_h10" ORDER BY h."_n") END AS "amount__c",
    CASE WHEN h."_h11" IS NULL THEN NULL ELSE first_value(h."due_date__c") OVER (PARTITION BY h."id", h."_h11" ORDER BY h."_n") END AS "due_date__c",
    CASE WHEN h."_h12" IS NULL THEN NULL ELSE first_value(h."paid__c") OVER (PARTITION BY h."id", h."_h12" ORDER BY h."_n") END AS "paid__c",
    CASE WHEN h."_h13" IS NULL THEN NULL ELSE first_value(h."status__c") OVER (PARTITION BY h."id", h."_h13" ORDER BY h."_n") END AS "status__c",
    CASE WHEN h."_h14" IS NULL THEN NULL ELSE first_value(h."notes__c") OVER (PARTITION BY h."id", h."_h14" ORDER BY h."_n") END AS "notes__c",
    CASE WHEN h."_h15" IS NULL THEN NULL ELSE first_value(h."quantity__c") OVER (PARTITION BY h."id", h."_h15" ORDER BY h."_n") END AS "quantity__c",
    CASE WHEN h."_h16" IS NULL THEN NULL ELSE first_value(h."days_overdue__c") OVER (PARTITION BY h."id", h."_h16" ORDER BY h."_n") END AS "days_overdue__c",
    CASE WHEN h."_h17" IS NULL THEN NULL ELSE first_value(h."account_rating__c") OVER (PARTITION BY h."id", h."_h17" ORDER BY h."_n") END AS "account_rating__c",
    CASE WHEN h."_h18" IS NULL THEN NULL ELSE first_value(h."tags__c") OVER (PARTITION BY h."id", h."_h18" ORDER BY h."_n") END AS "tags__c",
    CASE WHEN h."_h19" IS NULL THEN NULL ELSE first_value(h."issued_at__c") OVER (PARTITION BY h."id", h."_h19" ORDER BY h."_n") END AS "issued_at__c",
    CASE WHEN h."_h20" IS NULL THEN NULL ELSE first_value(h."contact_email__c") OVER (PARTITION BY h."id", h."_h20" ORDER BY h."_n") END AS "contact_email__c",
    CASE WHEN h."_h21" IS NULL THEN NULL ELSE first_value(h."discount__c") OVER (PARTITION BY h."id", h."_h21" ORDER BY h."_n") END AS "discount__c",
    CASE WHEN h."_h22" IS NULL THEN NULL ELSE first_value(h."payment_link__c") OVER (PARTITION BY h."id", h."_h22" ORDER BY h."_n") END AS "payment_link__c",
    CASE WHEN h."_h23" IS NULL THEN NULL ELSE first_value(h."billing_phone__c") OVER (PARTITION BY h."id", h."_h23" ORDER BY h."_n") END AS "billing_phone__c"
  FROM held AS h
), flagged AS (
  SELECT v.*, CASE WHEN v."_class" = 2 THEN true ELSE coalesce(v."isdeleted", false) END AS "is_deleted"
  FROM versions AS v
), changed AS (
  SELECT v.*, lag(v."_n") OVER (PARTITION BY v."id" ORDER BY v."_n") IS NULL OR lag(v."isdeleted") OVER (PARTITION BY v."id" ORDER BY v."_n") IS DISTINCT FROM v."isdeleted" OR lag(v."ownerid") OVER (PARTITION BY v."id" ORDER BY v."_n") IS DISTINCT FROM v."ownerid" OR lag(v."createddate") OVER (PARTITION BY v."id" ORDER BY v."_n") IS DISTINCT FROM v."createddate" OR lag(v."createdbyid") OVER (PARTITION BY v."id" ORDER BY v."_n") IS DISTINCT FROM v."createdbyid" OR lag(v."lastmodifieddate") OVER (PARTITION BY v."id" ORDER BY v."_n") IS DISTINCT FROM v."lastmodifieddate" OR lag(v."lastmodifiedbyid") OVER (PARTITION BY v."id" ORDER BY v."_n") IS DISTINCT FROM v."lastmodifiedbyid" OR lag(v."systemmodstamp") OVER (PARTITION BY v."id" ORDER BY v."_n") IS DISTINCT FROM v."systemmodstamp" OR lag(v."name") OVER (PARTITION BY v."id" ORDER BY v."_n") IS DISTINCT FROM v."name" OR lag(v."erp_id__c") OVER (PARTITION BY v."id" ORDER BY v."_n") IS DISTINCT FROM v."erp_id__c" OR lag(v."account__c") OVER (PARTITION BY v."id" ORDER BY v."_n") IS DISTINCT FROM v."account__c" OR lag(v."amount__c") OVER (PARTITION BY v."id" ORDER BY v."_n") IS DISTINCT FROM v."amount__c" OR lag(v."due_date__c") OVER (PARTITION BY v."id" ORDER BY v."_n") IS DISTINCT FROM v."due_date__c" OR lag(v."paid__c") OVER (PARTITION BY v."id" ORDER BY v."_n") IS DISTINCT FROM v."paid__c" OR lag(v."status__c") OVER (PARTITION BY v."id" ORDER BY v."_n") IS DISTINCT FROM v."status__c" OR lag(v."notes__c") OVER (PARTITION BY v."id" ORDER BY v."_n") IS DISTINCT FROM v."notes__c" OR lag(v."quantity__c") OVER (PARTITION BY v."id" ORDER BY v."_n") IS DISTINCT FROM v."quantity__c" OR lag(v."days_overdue__c") OVER (PARTITION BY v."id" ORDER BY v."_n") IS DISTINCT FROM v."days_overdue__c" OR lag(v."account_rating__c") OVER (PARTITION BY v."id" ORDER BY v."_n") IS DISTINCT FROM v."account_rating__c" OR lag(v."tags__c") OVER (PARTITION BY v."id" ORDER BY v."_n") IS DISTINCT FROM v."tags__c" OR lag(v."issued_at__c") OVER (PARTITION BY v."id" ORDER BY v."_n") IS DISTINCT FROM v."issued_at__c" OR lag(v."contact_email__c") OVER (PARTITION BY v."id" ORDER BY v."_n") IS DISTINCT FROM v."contact_email__c" OR lag(v."discount__c") OVER (PARTITION BY v."id" ORDER BY v."_n") IS DISTINCT FROM v."discount__c" OR lag(v."payment_link__c") OVER (PARTITION BY v."id" ORDER BY v."_n") IS DISTINCT FROM v."payment_link__c" OR lag(v."billing_phone__c") OVER (PARTITION BY v."id" ORDER BY v."_n") IS DISTINCT FROM v."billing_phone__c" OR lag(v."is_deleted") OVER (PARTITION BY v."id" ORDER BY v."_n") IS DISTINCT FROM v."is_deleted" AS "_changed"
  FROM flagged AS v
), kept AS (
  SELECT * FROM changed WHERE "_changed"
)
SELECT k."id", k."isdeleted", k."ownerid", k."createddate", k."createdbyid", k."lastmodifieddate", k."lastmodifiedbyid", k."systemmodstamp", k."name", k."erp_id__c", k."account__c", k."amount__c", k."due_date__c", k."paid__c", k."status__c", k."notes__c", k."quantity__c", k."days_overdue__c", k."account_rating__c", k."tags__c", k."issued_at__c", k."contact_email__c", k."discount__c", k."payment_link__c", k."billing_phone__c", k."_at" AS "valid_from", lead(k."_at") OVER (PARTITION BY k."id" ORDER BY k."_n") AS "valid_to", k."is_deleted"
FROM kept AS k
