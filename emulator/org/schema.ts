/**
 * Builders for describe metadata. Each builder fills every key of `FieldDef` / `ObjectDef` the way a
 * real org's describe fills it for that kind of field, so code written against the emulator sees the
 * same shapes as against Salesforce. Behaviour that describe does not carry (how a formula or a
 * derived field is computed, auto-number formats) is attached out of band with `withBehavior`.
 */
import type { FieldDef, FieldType, ObjectDef, PicklistValue, Value } from "./types";

/** Read access to one row's values, by canonical field name. */
export interface RowReader {
  get(field: string): Value;
}

export interface ComputeContext {
  /** The org clock's current time (epoch ms), for TODAY()/NOW() style formulas. */
  now: number;
  /**
   * A live record of any object by Id (a parent through a lookup, for cross-object formulas such as
   * `Account__r.Rating`); undefined when there is none or it is deleted.
   */
  record(id: string): RowReader | undefined;
}

/** Computes a field on read from the row's other fields; the value is never stored. */
export type Compute = (row: RowReader, context: ComputeContext) => Value;

export interface FieldBehavior {
  /** Computed on read (formula fields, and derived fields such as Contact.Name). */
  compute?: Compute;
  /** Auto-number display format, e.g. prefix `INV-` and width 6 give `INV-000042`. */
  autoNumber?: { prefix: string; width: number };
  /** The value an insert gets when the input leaves the field out (beyond picklist defaults). */
  defaultValue?: Value;
}

const behaviors = new WeakMap<FieldDef, FieldBehavior>();

export function withBehavior(field: FieldDef, behavior: FieldBehavior): FieldDef {
  behaviors.set(field, { ...behaviors.get(field), ...behavior });
  return field;
}

export function behaviorOf(field: FieldDef): FieldBehavior | undefined {
  return behaviors.get(field);
}

/** A deep copy of a field that keeps its behaviour. */
export function cloneField(field: FieldDef): FieldDef {
  const copy = structuredClone(field);
  const behavior = behaviors.get(field);
  if (behavior) behaviors.set(copy, behavior);
  return copy;
}

const SOAP_TYPES: Record<FieldType, string> = {
  id: "tns:ID",
  string: "xsd:string",
  textarea: "xsd:string",
  picklist: "xsd:string",
  multipicklist: "xsd:string",
  combobox: "xsd:string",
  reference: "tns:ID",
  boolean: "xsd:boolean",
  int: "xsd:int",
  long: "xsd:long",
  double: "xsd:double",
  currency: "xsd:double",
  percent: "xsd:double",
  date: "xsd:date",
  datetime: "xsd:dateTime",
  time: "xsd:time",
  email: "xsd:string",
  phone: "xsd:string",
  url: "xsd:string",
  base64: "xsd:base64Binary",
  address: "urn:address",
  location: "urn:location",
  encryptedstring: "xsd:string",
  anyType: "xsd:anyType",
};

/** Text lengths a real org reports when the builder is not told one. */
const DEFAULT_LENGTHS: Partial<Record<FieldType, number>> = {
  string: 255,
  textarea: 255,
  picklist: 255,
  multipicklist: 4099,
  combobox: 255,
  email: 80,
  phone: 40,
  url: 255,
  encryptedstring: 175,
  id: 18,
  reference: 18,
};

/** Field types whose values are text (quoted in SOQL, length in characters). */
export const TEXT_TYPES: ReadonlySet<FieldType> = new Set<FieldType>([
  "string",
  "textarea",
  "picklist",
  "multipicklist",
  "combobox",
  "email",
  "phone",
  "url",
  "encryptedstring",
]);

/** Field types whose values are numbers. */
export const NUMBER_TYPES: ReadonlySet<FieldType> = new Set<FieldType>([
  "int",
  "long",
  "double",
  "currency",
  "percent",
]);

/** Text areas longer than this are "long" text areas: neither filterable, sortable nor groupable. */
export const MAX_FILTERABLE_TEXTAREA = 255;

export type FieldOptions = Partial<Omit<FieldDef, "name" | "type">>;

/** Derive a label from an API name: `Due_Date__c` → `Due Date`, `AnnualRevenue` → `Annual Revenue`. */
export function labelFromName(name: string): string {
  return name
    .replace(/__[a-z]$/i, "")
    .replace(/_/g, " ")
    .replace(/([a-z])([A-Z])/g, "$1 $2")
    .trim();
}

/**
 * A field of any type with the describe keys a real org fills for that type. `options` override any
 * key; `length` drives `byteLength` for text types.
 */
export function field(type: FieldType, name: string, options: FieldOptions = {}): FieldDef {
  const custom = /__c$/i.test(name);
  const length = options.length ?? DEFAULT_LENGTHS[type] ?? 0;
  const longText = type === "textarea" && length > MAX_FILTERABLE_TEXTAREA;
  const compound = type === "address" || type === "location";
  const unsortable = longText || compound || type === "multipicklist" || type === "base64";
  const numeric = type === "double" || type === "currency" || type === "percent";
  const def: FieldDef = {
    name,
    label: options.label ?? labelFromName(name),
    type,
    soapType: SOAP_TYPES[type],
    length,
    byteLength: TEXT_TYPES.has(type) ? length * 3 : type === "id" || type === "reference" ? 18 : 0,
    precision: numeric ? (type === "percent" ? 3 : 18) : 0,
    scale: type === "currency" ? 2 : 0,
    digits: type === "int" ? 9 : type === "long" ? 18 : 0,
    nillable: type !== "boolean" && type !== "id",
    createable: type !== "id" && !compound,
    updateable: type !== "id" && !compound,
    calculated: false,
    calculatedFormula: null,
    autoNumber: false,
    externalId: false,
    idLookup: type === "id",
    unique: false,
    caseSensitive: false,
    compoundFieldName: null,
    filterable: !longText && type !== "base64",
    sortable: !unsortable,
    groupable: !unsortable && !numeric && type !== "datetime" && type !== "textarea",
    defaultedOnCreate: type === "boolean" || type === "id",
    custom,
    nameField: false,
    htmlFormatted: false,
    deprecatedAndHidden: false,
    picklistValues: [],
    restrictedPicklist: false,
    referenceTo: [],
    relationshipName: null,
  };
  Object.assign(def, options);
  if (options.length !== undefined && options.byteLength === undefined && TEXT_TYPES.has(type)) {
    def.byteLength = options.length * 3;
  }
  return def;
}

export function picklistValues(values: readonly string[], defaultValue?: string): PicklistValue[] {
  return values.map((value) => ({
    value,
    label: value,
    active: true,
    defaultValue: value === defaultValue,
    validFor: null,
  }));
}

// --- shorthands for the common kinds --------------------------------------------------------------

export function text(name: string, length: number, options: FieldOptions = {}): FieldDef {
  return field("string", name, { length, ...options });
}

/** The standard name field of an object: required text, the record's display name. */
export function name(label: string, length = 80): FieldDef {
  return field("string", "Name", { label, length, nillable: false, nameField: true });
}

export function textarea(name: string, length: number, options: FieldOptions = {}): FieldDef {
  return field("textarea", name, { length, ...options });
}

export function picklist(
  name: string,
  values: readonly string[],
  options: FieldOptions & { defaultValue?: string; restricted?: boolean } = {},
): FieldDef {
  const { defaultValue, restricted, ...rest } = options;
  return field("picklist", name, {
    picklistValues: picklistValues(values, defaultValue),
    restrictedPicklist: restricted ?? false,
    defaultedOnCreate: defaultValue !== undefined,
    ...rest,
  });
}

export function multipicklist(name: string, values: readonly string[], options: FieldOptions = {}): FieldDef {
  return field("multipicklist", name, { picklistValues: picklistValues(values), ...options });
}

/** A lookup. Custom lookups get the `__r` relationship name, standard ones drop the `Id` suffix. */
export function reference(name: string, referenceTo: string[], options: FieldOptions = {}): FieldDef {
  const relationshipName = /__c$/i.test(name) ? name.replace(/__c$/i, "__r") : name.replace(/Id$/, "");
  return field("reference", name, { referenceTo, relationshipName, ...options });
}

export function checkbox(name: string, options: FieldOptions = {}): FieldDef {
  return field("boolean", name, options);
}

export function integer(name: string, digits: number, options: FieldOptions = {}): FieldDef {
  return field("int", name, { digits, ...options });
}

export function number(name: string, precision: number, scale: number, options: FieldOptions = {}): FieldDef {
  return field("double", name, { precision, scale, ...options });
}

export function currency(name: string, options: FieldOptions = {}): FieldDef {
  return field("currency", name, options);
}

export function percent(name: string, options: FieldOptions = {}): FieldDef {
  return field("percent", name, options);
}

export function date(name: string, options: FieldOptions = {}): FieldDef {
  return field("date", name, options);
}

export function datetime(name: string, options: FieldOptions = {}): FieldDef {
  return field("datetime", name, options);
}

export function email(name: string, options: FieldOptions = {}): FieldDef {
  return field("email", name, options);
}

export function phone(name: string, options: FieldOptions = {}): FieldDef {
  return field("phone", name, options);
}

export function url(name: string, options: FieldOptions = {}): FieldDef {
  return field("url", name, options);
}

export function base64(name: string, options: FieldOptions = {}): FieldDef {
  return field("base64", name, { length: 0, nillable: false, ...options });
}

/** A formula field: read-only, computed on read by `compute`, never stored. */
export function formula(
  type: FieldType,
  name: string,
  expression: string,
  compute: Compute,
  options: FieldOptions = {},
): FieldDef {
  const def = field(type, name, {
    calculated: true,
    calculatedFormula: expression,
    createable: false,
    updateable: false,
    ...options,
  });
  return withBehavior(def, { compute });
}

/** A read-only field whose value follows from other fields (not a formula in describe). */
export function derived(def: FieldDef, compute: Compute): FieldDef {
  def.createable = false;
  def.updateable = false;
  return withBehavior(def, { compute });
}

export function autoNumberName(label: string, prefix: string, width: number): FieldDef {
  const def = field("string", "Name", {
    label,
    length: 80,
    autoNumber: true,
    createable: false,
    updateable: false,
    nillable: false,
    defaultedOnCreate: true,
    nameField: true,
    idLookup: true,
  });
  return withBehavior(def, { autoNumber: { prefix, width } });
}

const GEOCODE_ACCURACY = [
  "Address",
  "NearAddress",
  "Block",
  "Street",
  "ExtendedZip",
  "Zip",
  "Neighborhood",
  "City",
  "County",
  "State",
  "Unknown",
];

/**
 * A compound address and its components: `BillingAddress` with BillingStreet … BillingGeocodeAccuracy
 * (prefix `Billing`), or Lead's `Address` with Street … (prefix ``).
 */
export function address(prefix: string, labelPrefix = prefix ? `${prefix} ` : ""): FieldDef[] {
  const compoundName = `${prefix}Address`;
  const part = (def: FieldDef): FieldDef => {
    def.compoundFieldName = compoundName;
    return def;
  };
  return [
    field("address", compoundName, { label: `${labelPrefix}Address` }),
    part(textarea(`${prefix}Street`, 255, { label: `${labelPrefix}Street` })),
    part(text(`${prefix}City`, 40, { label: `${labelPrefix}City` })),
    part(text(`${prefix}State`, 80, { label: `${labelPrefix}State/Province` })),
    part(text(`${prefix}PostalCode`, 20, { label: `${labelPrefix}Zip/Postal Code` })),
    part(text(`${prefix}Country`, 80, { label: `${labelPrefix}Country` })),
    part(number(`${prefix}Latitude`, 18, 15, { label: `${labelPrefix}Latitude` })),
    part(number(`${prefix}Longitude`, 18, 15, { label: `${labelPrefix}Longitude` })),
    part(
      picklist(`${prefix}GeocodeAccuracy`, GEOCODE_ACCURACY, {
        label: `${labelPrefix}Geocode Accuracy`,
        restricted: true,
      }),
    ),
  ];
}

/** A custom geolocation field `Name__c` with its `Name__Latitude__s` / `Name__Longitude__s` parts. */
export function location(name: string, label = labelFromName(name)): FieldDef[] {
  const base = name.replace(/__c$/i, "");
  const part = (def: FieldDef): FieldDef => {
    def.compoundFieldName = name;
    return def;
  };
  return [
    field("location", name, { label }),
    part(number(`${base}__Latitude__s`, 18, 15, { label: `${label} (Latitude)` })),
    part(number(`${base}__Longitude__s`, 18, 15, { label: `${label} (Longitude)` })),
  ];
}

/** The key a compound value uses for one of its components: `BillingPostalCode` → `postalCode`. */
export function compoundKey(compound: FieldDef, component: FieldDef): string {
  let rest = component.name;
  if (compound.type === "location") {
    rest = rest.replace(/__s$/i, "").replace(/^.*__/, "");
  } else {
    const prefix = compound.name.replace(/Address$/, "");
    rest = rest.slice(prefix.length);
  }
  return rest.charAt(0).toLowerCase() + rest.slice(1);
}

export interface SystemFieldOptions {
  /** Add OwnerId (a lookup to User, defaulted to the running user). */
  owner?: boolean;
  /** Leave out LastModifiedDate, LastModifiedById and SystemModstamp (history-style objects). */
  createdOnly?: boolean;
  /** Leave out IsDeleted (objects without a recycle bin, such as User). */
  noIsDeleted?: boolean;
}

/** Id, IsDeleted and the audit fields, as every describe lists them. */
export function systemFields(objectLabel: string, options: SystemFieldOptions = {}): FieldDef[] {
  const audit = { createable: false, updateable: false, nillable: false, defaultedOnCreate: true };
  const fields: FieldDef[] = [field("id", "Id", { label: `${objectLabel} ID` })];
  if (!options.noIsDeleted) {
    fields.push(checkbox("IsDeleted", { label: "Deleted", createable: false, updateable: false }));
  }
  if (options.owner) {
    fields.push(
      reference("OwnerId", ["User"], {
        label: "Owner ID",
        nillable: false,
        defaultedOnCreate: true,
        relationshipName: "Owner",
      }),
    );
  }
  fields.push(
    datetime("CreatedDate", { label: "Created Date", ...audit }),
    reference("CreatedById", ["User"], { label: "Created By ID", relationshipName: "CreatedBy", ...audit }),
  );
  if (!options.createdOnly) {
    fields.push(
      datetime("LastModifiedDate", { label: "Last Modified Date", ...audit }),
      reference("LastModifiedById", ["User"], {
        label: "Last Modified By ID",
        relationshipName: "LastModifiedBy",
        ...audit,
      }),
      datetime("SystemModstamp", { label: "System Modstamp", ...audit }),
    );
  }
  return fields;
}

export type ObjectOptions = Partial<Omit<ObjectDef, "name" | "fields" | "keyPrefix">>;

/** An sObject with the describeGlobal keys a real org reports for an ordinary data object. */
export function object(
  name: string,
  keyPrefix: string,
  fields: FieldDef[],
  options: ObjectOptions = {},
): ObjectDef {
  const label = options.label ?? labelFromName(name);
  return {
    name,
    label,
    labelPlural: options.labelPlural ?? `${label}s`,
    keyPrefix,
    custom: /__c$/i.test(name),
    queryable: true,
    retrieveable: true,
    replicateable: true,
    createable: true,
    updateable: true,
    deletable: true,
    undeletable: true,
    searchable: true,
    triggerable: true,
    layoutable: true,
    bulkQuerySupported: true,
    ...options,
    fields,
  };
}
