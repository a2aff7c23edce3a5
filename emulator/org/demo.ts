/**
 * The seeded demo org: a year of realistic CRM data (accounts, contacts, opportunities, leads,
 * cases, invoices, attachments, users and account history) created through the same DML path as
 * any client, with the clock moved so timestamps spread over the year before `now`. The same seed
 * gives the same org.
 */
import { demoObjects, INVOICE_STATUSES, INVOICE_TAGS, TIERS } from "./demo-schema";
import { createOrg, type EmulatorOrg } from "./org";
import { createRandom, type Random } from "./random";
import {
  ACCOUNT_TYPES,
  CASE_STATUSES,
  INDUSTRIES,
  LEAD_SOURCES,
  LEAD_STATUSES,
  RATINGS,
  STAGES,
} from "./standard-objects";
import { dateOf } from "./temporal";
import type { DmlInput } from "./types";

/**
 * The demo org's running user logs in with this username: Salesforce clients read the Username of the
 * token's User record (sf stores the org under it), so it must be the one the demo credentials name.
 */
export const DEMO_USERNAME = "demo@saddledata.dev";

export interface DemoOrgOptions {
  seed?: number;
  /** The org's "now" (epoch ms): data spreads over the year before it. Default: real time. */
  now?: number;
}

/** How many rows of each object the demo org holds (besides the running admin user). */
export const DEMO_VOLUMES = {
  User: 9,
  Account: 200,
  Contact: 500,
  Opportunity: 300,
  Lead: 150,
  Case: 100,
  Invoice__c: 60,
  Attachment: 5,
} as const;

const DAY = 86_400_000;
const FIRST_NAMES = [
  "Ana",
  "Björn",
  "Chloé",
  "Dmitri",
  "Émile",
  "Fatima",
  "Grace",
  "Hiroshi",
  "Ingrid",
  "José",
  "Kai",
  "Léa",
  "Mateo",
  "Nora",
  "Oğuz",
  "Priya",
  "Quinn",
  "Rui",
  "Siobhán",
  "Tomás",
  "Uma",
  "Wei",
  "Yara",
  "Zoë",
];
const LAST_NAMES = [
  "Smith",
  "Müller",
  "O'Brien",
  "García",
  "Nakamura",
  "Kowalski",
  "Dubois",
  "Rossi",
  "Johnson",
  "Ødegaard",
  "Nguyễn",
  "Schmidt",
  "Silva",
  "Brown",
  "Ivanova",
  "Lee",
  "Martin",
  "Jensen",
];
const COMPANY_WORDS = [
  "Acme",
  "Globex",
  "Initech",
  "Umbrella",
  "Stark",
  "Wayne",
  "Wonka",
  "Tyrell",
  "Cyberdyne",
  "Soylent",
  "Hooli",
  "Vandelay",
  "Pied Piper",
  "Dunder Mifflin",
  "Prestige",
  "Gringotts",
];
const COMPANY_SUFFIXES = [
  "Inc.",
  "LLC",
  "GmbH",
  "S.A.",
  "Ltd",
  "& Co.",
  "AG",
  "KK",
  "Holdings, Inc.",
  "Group",
];
const CITIES: Array<[string, string, string, string]> = [
  ["San Francisco", "CA", "94105", "USA"],
  ["New York", "NY", "10001", "USA"],
  ["Austin", "TX", "73301", "USA"],
  ["London", "", "EC1A 1BB", "United Kingdom"],
  ["Paris", "Île-de-France", "75001", "France"],
  ["München", "Bayern", "80331", "Germany"],
  ["Zürich", "ZH", "8001", "Switzerland"],
  ["São Paulo", "SP", "01000-000", "Brazil"],
  ["東京", "Tokyo", "100-0001", "Japan"],
  ["Kraków", "Małopolskie", "30-001", "Poland"],
];
const DESCRIPTIONS = [
  "Key account; renewal in Q3.",
  'Asked for the "premium" support plan, pending legal review.',
  "Two sites:\nHQ in the city centre\nwarehouse by the port, near the ring road",
  "Prefers contact by email, not phone, after 10:00.",
  "Café chain — franchises in Zürich, Genève & Lausanne.",
  "Churn risk: see notes, then call back",
];
const PRODUCTS = [
  "Platform licence",
  "Support renewal",
  "Data migration",
  "Training, 3 days",
  'Add-on "Insights"',
  "Expansion",
];
const SUBJECTS = [
  "Cannot log in",
  "Invoice total wrong",
  'Export fails with "timeout"',
  "Feature request: CSV, with headers",
  "Données manquantes",
  "Slow dashboard",
];

function company(random: Random, index: number): string {
  const word = random.pick(COMPANY_WORDS);
  if (index % 17 === 0) return `${word}, ${random.pick(LAST_NAMES)} & Partners`;
  if (index % 23 === 0) return `The "${word}" Company`;
  return `${word} ${random.pick(COMPANY_SUFFIXES)} ${index + 1}`;
}

function maybe<T>(random: Random, p: number, value: () => T): T | null {
  return random.chance(p) ? value() : null;
}

/** `count` timestamps spread over [start, end), ascending. */
function spread(random: Random, count: number, start: number, end: number): number[] {
  const times: number[] = [];
  for (let i = 0; i < count; i++) times.push(start + Math.floor(random.next() * (end - start)));
  return times.sort((a, b) => a - b);
}

export function createDemoOrg(options: DemoOrgOptions = {}): EmulatorOrg {
  const seed = options.seed ?? 1;
  const now = options.now ?? Date.now();
  const yearAgo = now - 365 * DAY;
  // The running (integration) user exists before every seeded row, as in a real org. Stamped `now`, it
  // would be modified within the second a first sync reads up to, and a later sync would bring it again.
  const org = createOrg({
    seed,
    now: yearAgo - 31 * DAY,
    objects: demoObjects(),
    runningUsername: DEMO_USERNAME,
  });
  const random = createRandom(seed);

  const create = (objectName: string, at: number, input: DmlInput): string => {
    org.clock.set(at, { frozen: true });
    const result = org.insert(objectName, input, "json");
    if (!result.success || !result.id) {
      throw new Error(`demo ${objectName} insert failed: ${JSON.stringify(result.errors)}`);
    }
    return result.id;
  };

  const users = [org.userId];
  for (const [i, at] of spread(random, DEMO_VOLUMES.User, yearAgo - 30 * DAY, yearAgo).entries()) {
    const first = random.pick(FIRST_NAMES);
    const last = random.pick(LAST_NAMES);
    users.push(
      create("User", at, {
        Username: `${first}.${last}.${i}@saddledata-demo.example.com`
          .toLowerCase()
          .replace(/[^a-z0-9.@-]/g, "x"),
        FirstName: first,
        LastName: last,
        Email: `user${i}@saddledata-demo.example.com`,
        Alias: `u${i}`,
        Title: random.pick(["Account Executive", "Sales Manager", "Support Engineer", "CSM"]),
        Department: random.pick(["Sales", "Support", "Success"]),
        IsActive: i !== 3,
      }),
    );
  }

  const accounts: string[] = [];
  const accountTimes = spread(random, DEMO_VOLUMES.Account, yearAgo, now - 120 * DAY);
  for (const [i, at] of accountTimes.entries()) {
    const [city, state, postal, country] = random.pick(CITIES);
    const id = create("Account", at, {
      Name: company(random, i),
      Type: maybe(random, 0.85, () => random.pick(ACCOUNT_TYPES)),
      Industry: maybe(random, 0.9, () => random.pick(INDUSTRIES)),
      Rating: maybe(random, 0.6, () => random.pick(RATINGS)),
      AnnualRevenue: maybe(random, 0.8, () => random.int(1, 5000) * 10_000),
      NumberOfEmployees: maybe(random, 0.8, () => random.int(1, 50_000)),
      Phone: maybe(
        random,
        0.9,
        () => `+1 (${random.int(200, 999)}) 555-${String(random.int(0, 9999)).padStart(4, "0")}`,
      ),
      Website: maybe(random, 0.7, () => `https://www.example-${i + 1}.com`),
      Description: maybe(random, 0.5, () => random.pick(DESCRIPTIONS)),
      BillingStreet: maybe(
        random,
        0.9,
        () => `${random.int(1, 999)} Main Street${random.chance(0.3) ? "\nSuite 400" : ""}`,
      ),
      BillingCity: city,
      BillingState: state || null,
      BillingPostalCode: postal,
      BillingCountry: country,
      BillingLatitude: maybe(random, 0.5, () => Math.round((random.next() * 120 - 60) * 1e6) / 1e6),
      BillingLongitude: maybe(random, 0.5, () => Math.round((random.next() * 300 - 150) * 1e6) / 1e6),
      ShippingCity: maybe(random, 0.4, () => city),
      ShippingCountry: maybe(random, 0.4, () => country),
      ParentId: accounts.length > 10 && random.chance(0.1) ? random.pick(accounts) : null,
      OwnerId: random.pick(users),
      AccountSource: maybe(random, 0.6, () => random.pick(LEAD_SOURCES)),
      ERP_Id__c: maybe(random, 0.9, () => `ERP-${String(i + 1).padStart(5, "0")}`),
      Tier__c: maybe(random, 0.7, () => random.pick(TIERS)),
      Headquarters__Latitude__s: maybe(random, 0.3, () => Math.round((random.next() * 120 - 60) * 1e6) / 1e6),
      Headquarters__Longitude__s: maybe(
        random,
        0.3,
        () => Math.round((random.next() * 300 - 150) * 1e6) / 1e6,
      ),
      Support_Start__c: maybe(random, 0.3, () => `${String(random.int(6, 10)).padStart(2, "0")}:00:00.000Z`),
    });
    accounts.push(id);
    org.seedRow("AccountHistory", {
      AccountId: id,
      Field: "created",
      CreatedDate: at,
      CreatedById: org.userId,
    });
  }

  const contactsByAccount = new Map<string, string[]>();
  for (const at of spread(random, DEMO_VOLUMES.Contact, now - 120 * DAY, now - DAY)) {
    const accountId = random.chance(0.95) ? random.pick(accounts) : null;
    const [city, , postal, country] = random.pick(CITIES);
    const first = random.pick(FIRST_NAMES);
    const last = random.pick(LAST_NAMES);
    const id = create("Contact", at, {
      AccountId: accountId,
      FirstName: maybe(random, 0.95, () => first),
      LastName: last,
      Salutation: maybe(random, 0.4, () => random.pick(["Mr.", "Ms.", "Dr."])),
      Email: maybe(random, 0.85, () =>
        `${first}.${last}.${random.int(1, 9999)}@example.com`.toLowerCase().replace(/[^a-z0-9.@]/g, ""),
      ),
      Phone: maybe(random, 0.6, () => `+44 20 7946 ${String(random.int(0, 9999)).padStart(4, "0")}`),
      Title: maybe(random, 0.7, () =>
        random.pick(["CFO", "VP, Finance", "Head of IT", "Buyer", "Directeur général"]),
      ),
      Birthdate: maybe(random, 0.4, () => dateOf(now - random.int(22, 65) * 365 * DAY)),
      MailingCity: city,
      MailingPostalCode: postal,
      MailingCountry: country,
      LeadSource: maybe(random, 0.5, () => random.pick(LEAD_SOURCES)),
      Description: maybe(random, 0.2, () => random.pick(DESCRIPTIONS)),
      OwnerId: random.pick(users),
    });
    if (accountId) contactsByAccount.set(accountId, [...(contactsByAccount.get(accountId) ?? []), id]);
  }

  for (const at of spread(random, DEMO_VOLUMES.Opportunity, now - 120 * DAY, now - DAY)) {
    const stage = random.pick(STAGES);
    create("Opportunity", at, {
      Name: `${random.pick(PRODUCTS)} ${random.int(100, 999)}`,
      AccountId: random.pick(accounts),
      StageName: stage.name,
      Amount: maybe(random, 0.9, () => random.int(5, 2000) * 100 + random.int(0, 99) / 100),
      Probability: stage.probability,
      CloseDate: dateOf(at + random.int(-30, 120) * DAY),
      Type: maybe(random, 0.7, () => random.pick(["New Customer", "Existing Customer - Upgrade"])),
      LeadSource: maybe(random, 0.5, () => random.pick(LEAD_SOURCES)),
      NextStep: maybe(random, 0.3, () => 'Send "final" quote, then schedule call'),
      OwnerId: random.pick(users),
    });
  }

  for (const [i, at] of spread(random, DEMO_VOLUMES.Lead, yearAgo, now - DAY).entries()) {
    const [city, state, postal, country] = random.pick(CITIES);
    create("Lead", at, {
      FirstName: random.pick(FIRST_NAMES),
      LastName: random.pick(LAST_NAMES),
      Company: company(random, i + 1000),
      Status: random.pick(LEAD_STATUSES),
      Email: maybe(random, 0.8, () => `lead${i}@example.org`),
      Industry: maybe(random, 0.7, () => random.pick(INDUSTRIES)),
      Rating: maybe(random, 0.5, () => random.pick(RATINGS)),
      City: city,
      State: state || null,
      PostalCode: postal,
      Country: country,
      LeadSource: maybe(random, 0.8, () => random.pick(LEAD_SOURCES)),
      OwnerId: random.pick(users),
    });
  }

  for (const at of spread(random, DEMO_VOLUMES.Case, now - 90 * DAY, now - DAY)) {
    const accountId = random.pick(accounts);
    const contacts = contactsByAccount.get(accountId) ?? [];
    create("Case", at, {
      AccountId: accountId,
      ContactId: contacts.length > 0 ? random.pick(contacts) : null,
      Subject: random.pick(SUBJECTS),
      Status: random.pick(CASE_STATUSES),
      Priority: random.pick(["High", "Medium", "Low"]),
      Origin: random.pick(["Phone", "Email", "Web"]),
      Description: maybe(random, 0.6, () => random.pick(DESCRIPTIONS)),
      OwnerId: random.pick(users),
    });
  }

  for (const [i, at] of spread(random, DEMO_VOLUMES.Invoice__c, now - 180 * DAY, now - DAY).entries()) {
    const status = random.pick(INVOICE_STATUSES);
    create("Invoice__c", at, {
      ERP_Id__c: `INV-ERP-${String(i + 1).padStart(6, "0")}`,
      Account__c: random.pick(accounts),
      Amount__c: random.int(100, 250_000) + random.int(0, 99) / 100,
      Due_Date__c: dateOf(at + 30 * DAY),
      Paid__c: status === "Paid",
      Status__c: status,
      Notes__c: maybe(random, 0.5, () => random.pick(DESCRIPTIONS)),
      Quantity__c: random.int(1, 500),
      Tags__c: maybe(
        random,
        0.6,
        () => INVOICE_TAGS.filter(() => random.chance(0.4)).join(";") || "Priority",
      ),
      Issued_At__c: new Date(at).toISOString(),
      Contact_Email__c: maybe(random, 0.7, () => `billing${i}@example.com`),
      Discount__c: maybe(random, 0.3, () => random.int(0, 2500) / 100),
    });
  }

  for (const [i, at] of spread(random, DEMO_VOLUMES.Attachment, now - 60 * DAY, now - DAY).entries()) {
    create("Attachment", at, {
      ParentId: random.pick(accounts),
      Name: `contract-${i + 1}.txt`,
      ContentType: "text/plain",
      Body: Buffer.from(`Contract ${i + 1}\nSigned, "as agreed" — ünïcödé\n`).toString("base64"),
    });
  }

  // A tenth of the accounts changed later in the year, so LastModifiedDate differs from CreatedDate.
  for (const [i, id] of accounts.entries()) {
    if (i % 10 !== 0) continue;
    org.clock.set(Math.min(now - DAY, (accountTimes[i] ?? yearAgo) + random.int(1, 100) * DAY), {
      frozen: true,
    });
    const result = org.update("Account", { Id: id, Rating: random.pick(RATINGS) }, "json");
    if (!result.success) throw new Error(`demo Account update failed: ${JSON.stringify(result.errors)}`);
  }

  org.clock.set(now);
  return org;
}
