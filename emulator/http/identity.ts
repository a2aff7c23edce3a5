/**
 * Who a token belongs to: the identity URL (`GET /id/{orgId}/{userId}`) and the OpenID Connect
 * UserInfo endpoint (`/services/oauth2/userinfo`), both read from the session's User record. The sf CLI
 * and @salesforce/core take the username from UserInfo (then the User record) after every login.
 */
import type { Org, Value } from "../org/types";
import type { Session } from "./sessions";

/** Salesforce writes these two timestamps without milliseconds (`2024-04-16T19:00:00Z`). */
function secondsIso(value: Value | undefined): string | null {
  return typeof value === "number" ? new Date(value).toISOString().replace(/\.\d{3}Z$/, "Z") : null;
}

function text(value: Value | undefined): string | null {
  return typeof value === "string" ? value : null;
}

/** The zone's offset from UTC now, in milliseconds, as identity and UserInfo report `utcOffset`. */
function utcOffsetMs(timeZone: string, at: number): number {
  try {
    const parts = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    }).formatToParts(at);
    const get = (type: string): number => Number(parts.find((p) => p.type === type)?.value ?? 0);
    const local = Date.UTC(
      get("year"),
      get("month") - 1,
      get("day"),
      get("hour"),
      get("minute"),
      get("second"),
    );
    return local - Math.floor(at / 1000) * 1000;
  } catch (error) {
    // An unknown zone name: the org stores picklist values it validated, so treat it as UTC.
    if (error instanceof RangeError) return 0;
    throw error;
  }
}

interface UserFacts {
  userId: string;
  orgId: string;
  identityUrl: string;
  username: string;
  email: string | null;
  firstName: string | null;
  lastName: string | null;
  displayName: string;
  timeZone: string;
  language: string;
  locale: string;
  active: boolean;
  updated: string | null;
  utcOffset: number;
}

function userFacts(org: Org, url: string, session: Session): UserFacts {
  const row = org.get("User", session.userId, { includeDeleted: true }) ?? {};
  const firstName = text(row.FirstName);
  const lastName = text(row.LastName);
  const name = text(row.Name) ?? [firstName, lastName].filter((p) => p !== null).join(" ");
  const timeZone = text(row.TimeZoneSidKey) ?? "America/Los_Angeles";
  return {
    userId: session.userId,
    orgId: org.orgId,
    identityUrl: `${url}/id/${org.orgId}/${session.userId}`,
    username: text(row.Username) ?? session.username,
    email: text(row.Email),
    firstName,
    lastName,
    displayName: name === "" ? session.username : name,
    timeZone,
    language: text(row.LanguageLocaleKey) ?? "en_US",
    locale: text(row.LocaleSidKey) ?? "en_US",
    active: row.IsActive !== false,
    updated: secondsIso(row.LastModifiedDate),
    utcOffset: utcOffsetMs(timeZone, org.clock.now()),
  };
}

/** The API endpoints the emulator serves; `{version}` stays literal, as Salesforce sends it. */
function urls(url: string): Record<string, string> {
  const data = `${url}/services/data/v{version}`;
  return { rest: `${data}/`, sobjects: `${data}/sobjects/`, query: `${data}/query/`, custom_domain: url };
}

/** `GET /id/{orgId}/{userId}`. */
export function identityBody(org: Org, url: string, session: Session): Record<string, unknown> {
  const f = userFacts(org, url, session);
  return {
    id: f.identityUrl,
    asserted_user: true,
    user_id: f.userId,
    organization_id: f.orgId,
    username: f.username,
    nick_name: f.username.split("@")[0] ?? f.username,
    display_name: f.displayName,
    email: f.email,
    email_verified: true,
    first_name: f.firstName,
    last_name: f.lastName,
    timezone: f.timeZone,
    active: f.active,
    user_type: "STANDARD",
    language: f.language,
    locale: f.locale,
    utcOffset: f.utcOffset,
    last_modification_date: f.updated,
    is_app_installed: true,
    urls: urls(url),
  };
}

/** `GET|POST /services/oauth2/userinfo`: the OpenID Connect claims. */
export function userInfoBody(org: Org, url: string, session: Session): Record<string, unknown> {
  const f = userFacts(org, url, session);
  return {
    sub: f.identityUrl,
    user_id: f.userId,
    organization_id: f.orgId,
    preferred_username: f.username,
    nickname: f.username.split("@")[0] ?? f.username,
    name: f.displayName,
    email: f.email,
    email_verified: true,
    given_name: f.firstName,
    family_name: f.lastName,
    zoneinfo: f.timeZone,
    profile: `${url}/${f.userId}`,
    is_salesforce_integration_user: false,
    active: f.active,
    user_type: "STANDARD",
    language: f.language,
    locale: f.locale,
    utcOffset: f.utcOffset,
    updated_at: f.updated,
    is_app_installed: true,
    urls: urls(url),
  };
}
