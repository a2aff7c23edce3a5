/**
 * The replication resource `sobjects/{Object}/deleted/?start=…&end=…` (sObject Get Deleted, API v29+):
 * the object's delete log over a window, with the parameter errors a real org gives. The window's rules
 * (whole minutes, earliest date available, the Id limit) are the org's (org/deletions.ts).
 */
import { parseDateTime } from "../org/temporal";
import type { Org } from "../org/types";
import { ApiError } from "./api-error";
import type { RequestContext, Services } from "./context";
import { orgCall } from "./org-errors";
import { json, type Reply } from "./reply";
import { objectDef } from "./rest-sobjects";
import { restDateTime } from "./wire-dates";

/**
 * A `start` or `end` parameter: an ISO 8601 datetime with a zone (`2013-05-05T00:00:00+00:00`, URL
 * encoded, or `Z`). An unencoded `+` arrives as a space and makes the value unreadable, as on Salesforce.
 */
function replicationDate(ctx: RequestContext, name: "start" | "end"): number {
  const raw = ctx.query.get(name);
  if (raw === null || raw === "") {
    throw new ApiError(400, "MISSING_ARGUMENT", `Missing required parameter: ${name}`);
  }
  const at = parseDateTime(raw, { requireZone: true });
  if (at === undefined) {
    throw new ApiError(
      400,
      "ILLEGAL_QUERY_PARAMETER_VALUE",
      `${name} date is not in the correct format: '${raw}'. Use ISO 8601 with a zone, URL-encoded (2013-05-05T00%3A00%3A00%2B00%3A00)`,
    );
  }
  return at;
}

export class RestReplication {
  constructor(private readonly services: Services) {}

  private get org(): Org {
    return this.services.org;
  }

  deleted(ctx: RequestContext): Reply {
    const def = objectDef(this.org, ctx.params.object);
    const start = replicationDate(ctx, "start");
    const end = replicationDate(ctx, "end");
    const result = orgCall(() => this.org.getDeleted(def.name, start, end));
    return json(200, {
      deletedRecords: result.deletedRecords.map((record) => ({
        id: record.id,
        deletedDate: restDateTime(record.deletedDate),
      })),
      earliestDateAvailable: restDateTime(result.earliestDateAvailable),
      latestDateCovered: restDateTime(result.latestDateCovered),
    });
  }
}
