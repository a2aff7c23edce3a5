/**
 * describeGlobal and sObject describe bodies built from the org's ObjectDefs, with the keys a real
 * org returns (clients such as jsforce and the connector's discover read several of them).
 */
import type { FieldDef, ObjectDef, Org } from "../org/types";

function objectUrls(version: string, name: string): Record<string, string> {
  const base = `/services/data/v${version}/sobjects/${name}`;
  return {
    compactLayouts: `${base}/describe/compactLayouts`,
    rowTemplate: `${base}/{ID}`,
    approvalLayouts: `${base}/describe/approvalLayouts`,
    defaultValues: `${base}/defaultValues?recordTypeId&fields`,
    listviews: `${base}/listviews`,
    describe: `${base}/describe`,
    quickActions: `${base}/quickActions`,
    layouts: `${base}/describe/layouts`,
    sobject: base,
  };
}

/** One `sobjects[]` entry of describeGlobal (keys in Salesforce's alphabetical order). */
export function globalEntry(def: ObjectDef, version: string): Record<string, unknown> {
  return {
    activateable: false,
    associateEntityType: null,
    associateParentEntity: null,
    createable: def.createable,
    custom: def.custom,
    customSetting: false,
    deepCloneable: false,
    deletable: def.deletable,
    deprecatedAndHidden: false,
    feedEnabled: false,
    hasSubtypes: false,
    isInterface: false,
    isSubtype: false,
    keyPrefix: def.keyPrefix,
    label: def.label,
    labelPlural: def.labelPlural,
    layoutable: def.layoutable,
    mergeable: false,
    mruEnabled: def.layoutable,
    name: def.name,
    queryable: def.queryable,
    replicateable: def.replicateable,
    retrieveable: def.retrieveable,
    searchable: def.searchable,
    triggerable: def.triggerable,
    undeletable: def.undeletable,
    updateable: def.updateable,
    urls: objectUrls(version, def.name),
  };
}

export function describeGlobal(org: Org, version: string): Record<string, unknown> {
  return {
    encoding: "UTF-8",
    maxBatchSize: 200,
    sobjects: org.listObjects().map((def) => globalEntry(def, version)),
  };
}

/** Keys a real field describe has beyond FieldDef, with the values most fields carry. */
const FIELD_DEFAULTS: Record<string, unknown> = {
  aggregatable: true,
  aiPredictionField: false,
  cascadeDelete: false,
  controllerName: null,
  defaultValue: null,
  defaultValueFormula: null,
  dependentPicklist: false,
  displayLocationInDecimal: false,
  encrypted: false,
  extraTypeInfo: null,
  filteredLookupInfo: null,
  formulaTreatNullNumberAsZero: false,
  highScaleNumber: false,
  inlineHelpText: null,
  mask: null,
  maskType: null,
  namePointing: false,
  permissionable: false,
  polymorphicForeignKey: false,
  queryByDistance: false,
  referenceTargetField: null,
  relationshipOrder: null,
  restrictedDelete: false,
  searchPrefilterable: false,
  writeRequiresMasterRead: false,
};

export function fieldDescribe(field: FieldDef): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...FIELD_DEFAULTS, ...field };
  if (field.type === "reference") merged.polymorphicForeignKey = field.referenceTo.length > 1;
  if (field.type === "textarea" || field.type === "base64" || field.type === "address")
    merged.aggregatable = false;
  if (field.type === "textarea")
    merged.extraTypeInfo = field.htmlFormatted ? "richtextarea" : "plaintextarea";
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(merged).sort()) sorted[key] = merged[key];
  return sorted;
}

/** Child relationships of `def`: every reference field elsewhere that points at it. */
function childRelationships(org: Org, def: ObjectDef): Array<Record<string, unknown>> {
  const children: Array<Record<string, unknown>> = [];
  for (const other of org.listObjects()) {
    for (const field of other.fields) {
      if (field.type !== "reference" || !field.referenceTo.includes(def.name)) continue;
      children.push({
        cascadeDelete: false,
        childSObject: other.name,
        deprecatedAndHidden: false,
        field: field.name,
        junctionIdListNames: [],
        junctionReferenceTo: [],
        relationshipName: null,
        restrictedDelete: false,
      });
    }
  }
  return children;
}

export function describeObject(org: Org, def: ObjectDef, version: string): Record<string, unknown> {
  return {
    actionOverrides: [],
    activateable: false,
    associateEntityType: null,
    associateParentEntity: null,
    childRelationships: childRelationships(org, def),
    compactLayoutable: def.layoutable,
    createable: def.createable,
    custom: def.custom,
    customSetting: false,
    deepCloneable: false,
    defaultImplementation: null,
    deletable: def.deletable,
    deprecatedAndHidden: false,
    extendedBy: null,
    extendsInterfaces: null,
    feedEnabled: false,
    fields: def.fields.map(fieldDescribe),
    hasSubtypes: false,
    implementedBy: null,
    implementsInterfaces: null,
    isInterface: false,
    isSubtype: false,
    keyPrefix: def.keyPrefix,
    label: def.label,
    labelPlural: def.labelPlural,
    layoutable: def.layoutable,
    listviewable: null,
    lookupLayoutable: null,
    mergeable: false,
    mruEnabled: def.layoutable,
    name: def.name,
    namedLayoutInfos: [],
    networkScopeFieldName: null,
    queryable: def.queryable,
    recordTypeInfos: [],
    replicateable: def.replicateable,
    retrieveable: def.retrieveable,
    searchLayoutable: def.searchable,
    searchable: def.searchable,
    sobjectDescribeOption: "FULL",
    supportedScopes: [{ label: "All records", name: "everything" }],
    triggerable: def.triggerable,
    undeletable: def.undeletable,
    updateable: def.updateable,
    urls: {
      ...objectUrls(version, def.name),
      uiDetailTemplate: null,
      uiEditTemplate: null,
      uiNewRecord: null,
    },
  };
}
