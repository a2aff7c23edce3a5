MERGE INTO "thing__c" AS t
USING (
  SELECT k."id", f."isdeleted" AS "isdeleted", CASE WHEN ("p1"."id" IS NOT NULL AND (f."_seq" IS NULL OR f."_seq" <= 7)) THEN "p1"."name" ELSE f."name" END AS "name", CASE WHEN ("p2"."id" IS NOT NULL AND (f."_seq" IS NULL OR f."_seq" <= 8)) THEN "p2"."amount__c" ELSE f."amount__c" END AS "amount__c", f."employees__c" AS "employees__c", f."since__c" AS "since__c", f."systemmodstamp" AS "systemmodstamp",
    f."_origin", f."id" IS NOT NULL AS "_full", ("p1"."id" IS NOT NULL AND (f."_seq" IS NULL OR f."_seq" <= 7)) AS "_p1", ("p2"."id" IS NOT NULL AND (f."_seq" IS NULL OR f."_seq" <= 8)) AS "_p2"
  FROM (SELECT DISTINCT c."id" FROM "thing__c_changes" AS c WHERE c."run" IN ('sync-20260301T100000Z-a1b2c3', 'sync-20260302T100000Z-d4e5f6')) AS k
  LEFT JOIN (
    SELECT "id", "isdeleted", "name", "amount__c", "employees__c", "since__c", "systemmodstamp", "_origin", "_seq"
    FROM (
      SELECT c."id", c."isdeleted", c."name", c."amount__c", c."employees__c", c."since__c", c."systemmodstamp", c."_origin", r."seq" AS "_seq",
        row_number() OVER (PARTITION BY c."id" ORDER BY r."seq" DESC, c."systemmodstamp" DESC NULLS LAST) AS "_rank"
      FROM "thing__c_changes" AS c
      JOIN (VALUES ('sync-20260301T100000Z-a1b2c3', 7), ('sync-20260302T100000Z-d4e5f6', 8)) AS r ("run_id", "seq") ON c."run" = r."run_id"
      WHERE c."run" IN ('sync-20260301T100000Z-a1b2c3', 'sync-20260302T100000Z-d4e5f6') AND NOT coalesce(c."_origin" IN ('formula', 'backfill'), false)
    ) AS ranked
    WHERE "_rank" = 1
  ) AS f ON f."id" = k."id"
  LEFT JOIN (
    SELECT "id", "name"
    FROM (
      SELECT c."id", c."name", row_number() OVER (PARTITION BY c."id") AS "_rank"
      FROM "thing__c_changes" AS c
      WHERE c."run" = 'sync-20260301T100000Z-a1b2c3' AND c."_origin" = 'formula'
    ) AS pass
    WHERE "_rank" = 1
  ) AS "p1" ON "p1"."id" = k."id"
  LEFT JOIN (
    SELECT "id", "amount__c"
    FROM (
      SELECT c."id", c."amount__c", row_number() OVER (PARTITION BY c."id") AS "_rank"
      FROM "thing__c_changes" AS c
      WHERE c."run" = 'sync-20260302T100000Z-d4e5f6' AND c."_origin" = 'backfill'
    ) AS pass
    WHERE "_rank" = 1
  ) AS "p2" ON "p2"."id" = k."id"
) AS s
ON t."id" = s."id"
WHEN MATCHED AND s."_full" AND (CASE WHEN coalesce(s."_origin" IN ('getDeleted', 'reconcile'), false) THEN (t."systemmodstamp" IS NULL OR s."systemmodstamp" IS NULL OR s."systemmodstamp" >= t."systemmodstamp") ELSE coalesce(s."isdeleted", false) END) THEN DELETE
WHEN MATCHED AND ((s."_full" AND NOT coalesce(s."_origin" IN ('getDeleted', 'reconcile'), false)) OR s."_p1" OR s."_p2") THEN UPDATE SET "isdeleted" = CASE WHEN (s."_full" AND NOT coalesce(s."_origin" IN ('getDeleted', 'reconcile'), false)) THEN s."isdeleted" ELSE t."isdeleted" END, "name" = CASE WHEN (s."_full" AND NOT coalesce(s."_origin" IN ('getDeleted', 'reconcile'), false)) OR s."_p1" THEN s."name" ELSE t."name" END, "amount__c" = CASE WHEN (s."_full" AND NOT coalesce(s."_origin" IN ('getDeleted', 'reconcile'), false)) OR s."_p2" THEN s."amount__c" ELSE t."amount__c" END, "employees__c" = CASE WHEN (s."_full" AND NOT coalesce(s."_origin" IN ('getDeleted', 'reconcile'), false)) THEN s."employees__c" ELSE t."employees__c" END, "since__c" = CASE WHEN (s."_full" AND NOT coalesce(s."_origin" IN ('getDeleted', 'reconcile'), false)) THEN s."since__c" ELSE t."since__c" END, "systemmodstamp" = CASE WHEN (s."_full" AND NOT coalesce(s."_origin" IN ('getDeleted', 'reconcile'), false)) THEN s."systemmodstamp" ELSE t."systemmodstamp" END
WHEN NOT MATCHED AND s."_full" AND NOT (coalesce(s."isdeleted", false) OR coalesce(s."_origin" IN ('getDeleted', 'reconcile'), false)) THEN INSERT ("id", "isdeleted", "name", "amount__c", "employees__c", "since__c", "systemmodstamp") VALUES (s."id", s."isdeleted", s."name", s."amount__c", s."employees__c", s."since__c", s."systemmodstamp")
